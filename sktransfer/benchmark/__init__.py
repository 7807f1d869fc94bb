"""Benchmark transfer methods against strong non-transfer baselines.

``sktransfer benchmark`` (see :mod:`sktransfer.cli`) runs the methods of
:data:`METHODS` on the pairs of a data set of :data:`DATASETS` and prints a
table of target accuracy. Both are registries: a method is one
:func:`register_method` line in ``sktransfer/benchmark/_registry.py``, a data
set one :func:`register_dataset` call in ``sktransfer/benchmark/_datasets.py``.

The protocol: for each pair and each repeat, all but a few target labels are
hidden; each method is fitted on source rows, the labeled target rows and the
unlabeled target rows; accuracy is measured on the target rows whose labels
were hidden. The baselines ``source_only``, ``target_only`` and ``pooled``
fit one strong plain estimator, :class:`TunedLogisticRegression`, on the
source rows, the labeled target rows, or both.
"""

from . import _datasets  # noqa: F401  (registers the data sets)
from ._baselines import (
    BaselineClassifier,
    TransformedClassifier,
    TunedLogisticRegression,
)
from ._registry import (
    DATASETS,
    METHODS,
    DatasetSpec,
    MethodSpec,
    register_dataset,
    register_method,
)
from ._runner import BenchmarkResult, DataUnavailableError, resolve_names, run_benchmark

__all__ = [
    "DATASETS",
    "METHODS",
    "BaselineClassifier",
    "BenchmarkResult",
    "DataUnavailableError",
    "DatasetSpec",
    "MethodSpec",
    "TransformedClassifier",
    "TunedLogisticRegression",
    "register_dataset",
    "register_method",
    "resolve_names",
    "run_benchmark",
]

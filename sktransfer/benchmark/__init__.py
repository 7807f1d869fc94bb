"""Benchmark transfer methods against strong non-transfer baselines.

``sktransfer benchmark`` (see :mod:`sktransfer.cli`) runs the methods of
:data:`METHODS` on the pairs of a data set of :data:`DATASETS` and prints a
table of target accuracy. Both are registries: a built-in method is one
:func:`register_method` call in ``sktransfer/benchmark/_methods.py``, a
built-in data set one :func:`register_dataset` call in
``sktransfer/benchmark/_datasets.py``; the machinery (:class:`MethodSpec`,
:class:`DatasetSpec`, the registries) lives in
``sktransfer/benchmark/_registry.py``. Importing this package registers
nothing: the built-in entries are loaded the first time a registry is used.

The protocol: for each pair and each repeat, all but a few target labels are
hidden; each method is fitted on source rows, the labeled target rows and the
unlabeled target rows; accuracy is measured on the target rows whose labels
were hidden. The baselines ``source_only``, ``target_only`` and ``pooled``
fit one strong plain estimator, :class:`TunedLogisticRegression`, on the
source rows, the labeled target rows, or both.
"""

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

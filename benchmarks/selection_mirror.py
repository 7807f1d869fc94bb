"""A shift that mirrors the classes: what the label-free criteria and the selector see.

The target half of scikit-learn's digits has its contrast inverted
(``load_shifted_digits("inversion", severity=1)``: every pixel ``x`` becomes
``16 - x``). Centred, an inverted image is the negated source image, and
second-order statistics (covariances, principal subspaces, MMD with a linear
kernel) cannot tell ``z`` from ``-z``: Subspace Alignment, TCA, JDA and CORAL
map the target onto a point reflection of the source, and a linear classifier
fitted on the source then names, for every target image, the class it is
least like. Accuracy is far below chance (0.1), with no warning.

Per draw (``--n-repeats``) it prints, with no target label, each model's
target accuracy and the score each label-free criterion of
:mod:`sktransfer.model_selection` gives it (higher is better for all), then
what :class:`~sktransfer.model_selection.TransferSelector` (the mappings as
candidates) picks with 0, 1 and 3 labeled target rows per class, and the
accuracy of its pick on the other target rows.

Run::

    python benchmarks/selection_mirror.py --n-repeats 3

About 10 s per draw on 2 cores. The base classifier is
``LogisticRegression(max_iter=1000)`` on pixels scaled to [0, 1].
"""

import argparse
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from sktransfer.datasets import load_shifted_digits
from sktransfer.feature import (
    CORAL,
    JointDistributionAdaptation,
    SubspaceAlignment,
    TransferComponentAnalysis,
)
from sktransfer.model_selection import (
    CircularValidationScorer,
    DeepEmbeddedValidationScorer,
    InformationMaximizationScorer,
    PredictionEntropyScorer,
    SoftNeighborhoodDensityScorer,
    TransferSelector,
)
from sktransfer.model_selection._fit import fit_with_sample_domain
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels

CRITERIA = {
    "IM": InformationMaximizationScorer(),
    "entropy": PredictionEntropyScorer(),
    "SND": SoftNeighborhoodDensityScorer(),
    "circular": CircularValidationScorer(),
    "DEV": DeepEmbeddedValidationScorer(),
}


def _mappings(base):
    return [
        ("sa", make_transfer_pipeline(SubspaceAlignment(n_components=20), clone(base))),
        (
            "tca",
            make_transfer_pipeline(
                TransferComponentAnalysis(n_components=20), clone(base)
            ),
        ),
        (
            "jda",
            make_transfer_pipeline(
                JointDistributionAdaptation(n_components=20), clone(base)
            ),
        ),
        ("coral", make_transfer_pipeline(CORAL(), clone(base))),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=-1)
    args = parser.parse_args(argv)
    base = LogisticRegression(max_iter=1000)
    for seed in range(args.n_repeats):
        X, y_true, sample_domain = load_shifted_digits(
            "inversion", severity=1.0, random_state=seed
        )
        X = X / 16.0
        target = sample_domain < 0
        y = np.where(target, -1, y_true)
        print(f"\ndraw {seed}: no target label")
        print(f"{'model':<12}{'accuracy':>9}" + "".join(f"{c:>10}" for c in CRITERIA))
        for name, model in [("source_only", clone(base))] + _mappings(base):
            fitted = fit_with_sample_domain(model, X, y, sample_domain)
            accuracy = np.mean(fitted.predict(X[target]) == y_true[target])
            scores = [
                criterion(fitted, X, y, sample_domain=sample_domain)
                for criterion in CRITERIA.values()
            ]
            print(
                f"{name:<12}{accuracy:>9.3f}" + "".join(f"{s:>10.3f}" for s in scores)
            )
        print(f"{'labels per class':<18}{'selector picked':<18}{'accuracy':>9}")
        for per_class in (0, 1, 3):
            y = hide_target_labels(
                y_true,
                sample_domain,
                n_labeled=per_class,
                per_class=True,
                random_state=seed,
            )
            hidden = target & (y == -1)
            selector = TransferSelector(
                _mappings(base),
                base_estimator=base,
                n_jobs=args.n_jobs,
                random_state=seed,
            ).fit(X, y, sample_domain=sample_domain)
            accuracy = selector.score(X[hidden], y_true[hidden])
            print(f"{per_class:<18}{selector.best_name_:<18}{accuracy:>9.3f}")


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main()

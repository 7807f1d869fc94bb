"""Pretrained embeddings + a feature mapping + logistic regression on VLCS-mini.

The "linear probe" workflow: a frozen ImageNet network
(:class:`~sktransfer.deep.PretrainedEmbedding` with EfficientNet-Lite0,
1280 pooled features) in front of a feature mapping and a linear model, in
one pipeline, the mapping's parameter tuned by ``GridSearchCV`` on the
labeled target rows (``TargetKFold`` with ``SupervisedTargetScorer``, the
domains routed as ``sample_domain``). Compared with the same methods on raw
pixels (16x16, standardised: 768 features).

All 6 ordered pairs of the 3 VLCS-mini domains (caltech 55 photos, labelme
77, sun 55; 5 classes, labelme has no person), ``--labels-per-class``
labeled target rows per class drawn by each seed, accuracy on the other
target rows. Methods, each with ``TunedLogisticRegression`` (C
cross-validated) as the classifier: source-only, pooled, target-only,
TCA (linear kernel) and Subspace Alignment, each with ``n_components`` in
10, 20, 50 by grid search and followed by the pooled classifier. (CORAL is
left out: on 1280 features one fit takes 12-24 s on 2 cores, its matrix
square roots; 10 fits per grid search and pair would not fit the budget.)

The network is frozen, so the embedding of a photo does not depend on what
the pipeline was fitted on: the table computes it once per photo and
searches the mapping on it, which gives the numbers the pipeline with the
embedding inside gives (``--check-pipeline`` fits that pipeline on one pair
and asserts it; it takes about a minute per candidate on 2 CPU cores).
Needs the ``pretrained`` extra.

Measured (``--seeds 0``, 2 loaded CPU cores, about 8 minutes), mean target
accuracy over the 6 pairs::

    features     source_only  target_only  pooled  tca    subspace_alignment
    pixels       0.141        0.396        0.154   0.151  0.212
    embedding    0.541        0.817        0.779   0.694  0.651

Usage::

    SKTRANSFER_DATA=/path/to/data python benchmarks/deep_embedding_vlcs.py \\
        --seeds 0 1 2 --check-pipeline
"""

import argparse
import itertools
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sktransfer.benchmark import TunedLogisticRegression
from sktransfer.datasets._base import get_data_home
from sktransfer.deep import DomainImageFolders, PretrainedEmbedding, Resize
from sktransfer.feature import SubspaceAlignment, TransferComponentAnalysis
from sktransfer.model_selection import SupervisedTargetScorer, TargetKFold
from sktransfer.pipeline import make_transfer_pipeline
from sktransfer.utils import hide_target_labels

DOMAINS = ("caltech", "labelme", "sun")
GRIDS = {
    "tca": (
        TransferComponentAnalysis(),
        {"transfercomponentanalysis__n_components": [10, 20, 50]},
    ),
    "subspace_alignment": (
        SubspaceAlignment(),
        {"subspacealignment__n_components": [10, 20, 50]},
    ),
}


def _classifier(seed):
    return TunedLogisticRegression(random_state=seed)


def _search_on_target(pipe, grid, X, y, sd, seed):
    """``GridSearchCV`` scored on folds of the labeled target rows, fitted."""
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            pipe,
            grid,
            cv=TargetKFold(3, stratify=True, shuffle=True, random_state=seed),
            scoring=SupervisedTargetScorer(),
        )
        return search.fit(X, y, sample_domain=sd)


def evaluate(X, y_true, sd, seed, labels_per_class):
    """Target accuracy of every method on one pair and one draw of labels."""
    y = hide_target_labels(
        y_true, sd, n_labeled=labels_per_class, per_class=True, random_state=seed
    )
    hidden = (sd < 0) & (y == -1)
    scores = {}
    for name, rows in (
        ("source_only", sd > 0),
        ("target_only", (sd < 0) & (y != -1)),
        ("pooled", y != -1),
    ):
        model = _classifier(seed).fit(X[rows], y[rows])
        scores[name] = float(model.score(X[hidden], y_true[hidden]))
    for name, (mapping, grid) in GRIDS.items():
        pipe = make_transfer_pipeline(clone(mapping), _classifier(seed))
        search = _search_on_target(pipe, grid, X, y, sd, seed)
        scores[name] = float(search.score(X[hidden], y_true[hidden]))
        scores[f"{name}_params"] = search.best_params_
    return scores


def check_pipeline(folders, embedding, seed, labels_per_class):
    """The pipeline with the embedding inside gives the precomputed figure."""
    source, target = "caltech", "labelme"
    rows = np.flatnonzero(np.isin(folders.domains, [source, target]))
    sd = np.where(folders.domains[rows] == source, 1, -1)
    images = torch.stack([folders[i][0] for i in rows]).numpy()
    y_true = folders.targets[rows]
    y = hide_target_labels(
        y_true, sd, n_labeled=labels_per_class, per_class=True, random_state=seed
    )
    hidden = (sd < 0) & (y == -1)
    mapping, grid = GRIDS["subspace_alignment"]
    pipe = make_transfer_pipeline(
        PretrainedEmbedding("efficientnet_lite0"), clone(mapping), _classifier(seed)
    )
    start = time.perf_counter()
    search = _search_on_target(pipe, grid, images, y, sd, seed)
    seconds = time.perf_counter() - start
    inside = float(search.score(images[hidden], y_true[hidden]))
    outside = evaluate(embedding[rows], y_true, sd, seed, labels_per_class)
    print(
        f"pipeline with the embedding inside, {source}->{target}, seed {seed}: "
        f"{inside:.3f} (precomputed embedding: {outside['subspace_alignment']:.3f}; "
        f"{seconds:.0f} s)"
    )
    assert abs(inside - outside["subspace_alignment"]) < 1e-6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--labels-per-class", type=int, default=3)
    parser.add_argument("--check-pipeline", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    root = Path(get_data_home()) / "vlcs_mini"
    folders = DomainImageFolders({d: root / d for d in DOMAINS}, image_size=224)
    start = time.perf_counter()
    embedding = PretrainedEmbedding("efficientnet_lite0").fit_transform(folders)
    print(
        f"embedded {len(folders)} photos in {time.perf_counter() - start:.0f} s: "
        f"{embedding.shape[1]} features"
    )
    images = torch.stack([folders[i][0] for i in range(len(folders))])
    pixels = Resize(16)(images).reshape(len(images), -1).numpy()
    features = {
        "pixels": (pixels - pixels.mean(0)) / (pixels.std(0) + 1e-6),
        "embedding": embedding,
    }
    results = {}
    for (source, target), seed in itertools.product(
        itertools.permutations(DOMAINS, 2), args.seeds
    ):
        rows = np.flatnonzero(np.isin(folders.domains, [source, target]))
        sd = np.where(folders.domains[rows] == source, 1, -1)
        for kind, X in features.items():
            scores = evaluate(
                X[rows], folders.targets[rows], sd, seed, args.labels_per_class
            )
            results.setdefault(kind, []).append(scores)
        print(
            f"{source}->{target} seed {seed}: "
            + "; ".join(
                f"{kind} "
                + " ".join(
                    f"{m} {results[kind][-1][m]:.3f}"
                    for m in ("source_only", "pooled", "tca", "subspace_alignment")
                )
                for kind in features
            ),
            flush=True,
        )
    methods = ["source_only", "target_only", "pooled", "tca", "subspace_alignment"]
    print(
        f"\nmean target accuracy over 6 pairs x {len(args.seeds)} seeds "
        f"({args.labels_per_class} labeled target rows per class)"
    )
    print(f"{'features':<11}" + "".join(f"{m:>20}" for m in methods))
    for kind, rows in results.items():
        print(
            f"{kind:<11}"
            + "".join(f"{np.mean([r[m] for r in rows]):>20.3f}" for m in methods)
        )
    if args.check_pipeline:
        check_pipeline(folders, embedding, args.seeds[0], args.labels_per_class)


if __name__ == "__main__":
    main()

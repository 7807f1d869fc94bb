"""A diagnosis of the shift between two domains, in numbers and in words."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from .._domain import check_sample_domain, labeled_mask
from ._distance import mmd_permutation_test, proxy_a_distance

__all__ = ["diagnose_shift"]

#: Proxy A-distances from which the shift is read as moderate, then strong.
_PAD_MODERATE, _PAD_STRONG = 0.5, 1.5
#: Total variation distance of the class proportions read as a label shift.
_LABEL_SHIFT = 0.15


def _label_counts(labels):
    if labels.size == 0:
        return {}
    values, counts = np.unique(labels, return_counts=True)
    return {
        value.item() if hasattr(value, "item") else value: int(count)
        for value, count in zip(values, counts)
    }


def _total_variation(counts_a, counts_b):
    classes = set(counts_a) | set(counts_b)
    total_a, total_b = sum(counts_a.values()), sum(counts_b.values())
    return 0.5 * sum(
        abs(counts_a.get(c, 0) / total_a - counts_b.get(c, 0) / total_b)
        for c in classes
    )


def _reading(pvalue, distance, label_shift, n_target_labels):
    if pvalue >= 0.05 and distance < _PAD_MODERATE:
        words = "no measurable shift of the inputs"
    elif distance >= _PAD_STRONG:
        words = "strong covariate shift"
    elif distance >= _PAD_MODERATE:
        words = "moderate covariate shift"
    else:
        words = "weak covariate shift"
    if label_shift is not None and label_shift >= _LABEL_SHIFT:
        words += f"; the class proportions differ (label shift, TV {label_shift:.2f})"
    elif label_shift is None:
        words += "; no target labels to compare the class proportions"
    elif n_target_labels < 30:
        words += f"; class proportions alike on {n_target_labels} target labels"
    return words


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", None],
        "sample_domain": ["array-like"],
        "n_permutations": [Interval(Integral, 1, None, closed="left")],
        "max_rows": [Interval(Integral, 4, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def diagnose_shift(
    X, y=None, *, sample_domain, n_permutations=200, max_rows=2000, random_state=None
):
    """Measure how the target differs from the source, and say it in words.

    Three views of the shift: the maximum mean discrepancy between the
    domains with its permutation p-value (is there a shift at all?), the
    proxy A-distance (how well a linear classifier tells the domains
    apart: 0 alike, 2 separable), and the class proportions of the labeled
    rows of each domain with their total variation distance (label shift).
    A one-line ``reading`` puts them in words: "no measurable shift of the
    inputs" (MMD p-value at least 0.05 and proxy A-distance below 0.5),
    else a weak, moderate (from 0.5) or strong (from 1.5) covariate shift,
    and whether the class proportions differ (total variation from 0.15).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Rows of all domains (several domains of a kind are pooled).
    y : array-like of shape (n_samples,), default=None
        Labels with the unlabeled marker on unlabeled target rows; ``None``
        skips the class proportions.
    sample_domain : array-like of shape (n_samples,)
        Positive on source rows, negative on target rows.
    n_permutations : int, default=200
        Shuffles of the MMD permutation test.
    max_rows : int, default=2000
        Rows drawn (half from each domain, at most) for the MMD, whose cost
        grows with the square of the rows.
    random_state : int, RandomState instance or None, default=None
        Draws the rows, the shuffles and the folds.

    Returns
    -------
    diagnosis : Bunch
        ``mmd2``, ``mmd_pvalue``, ``proxy_a_distance``,
        ``source_label_counts`` and ``target_label_counts`` (dicts class ->
        rows, the labeled rows only), ``label_shift`` (their total variation
        distance, ``None`` without target labels), ``n_source``,
        ``n_target``, ``n_target_labels`` and ``reading``.

    See Also
    --------
    mmd_permutation_test, proxy_a_distance : The two measures of the inputs.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.metrics import diagnose_shift
    >>> X, y, sample_domain = make_domain_shift(severity=1.0, random_state=0)
    >>> diagnose_shift(X, y, sample_domain=sample_domain, random_state=0).reading
    'strong covariate shift'
    """
    sample_domain = check_sample_domain(
        sample_domain,
        X,
        y,
        require_source=True,
        require_target=True,
        estimator_name="diagnose_shift",
    )
    rng = check_random_state(random_state)
    source = np.flatnonzero(sample_domain > 0)
    target = np.flatnonzero(sample_domain < 0)
    half = max_rows // 2
    drawn = np.sort(
        np.concatenate(
            [
                rng.choice(rows, min(half, rows.size), replace=False)
                for rows in (source, target)
            ]
        )
    )
    test = mmd_permutation_test(
        _safe_indexing(X, drawn),
        sample_domain=sample_domain[drawn],
        n_permutations=n_permutations,
        random_state=rng,
    )
    distance = proxy_a_distance(
        X,
        sample_domain=sample_domain,
        cv=min(5, source.size, target.size),
        random_state=rng,
    )
    source_counts = target_counts = {}
    label_shift = None
    n_target_labels = 0
    if y is not None:
        y = np.asarray(y)
        labeled = labeled_mask(y, sample_domain)
        source_counts = _label_counts(y[source])
        target_counts = _label_counts(y[target[labeled[target]]])
        n_target_labels = int(sum(target_counts.values()))
        if n_target_labels:
            label_shift = float(_total_variation(source_counts, target_counts))
    return Bunch(
        mmd2=float(test.statistic),
        mmd_pvalue=float(test.pvalue),
        proxy_a_distance=float(distance),
        source_label_counts=source_counts,
        target_label_counts=target_counts,
        label_shift=label_shift,
        n_source=int(source.size),
        n_target=int(target.size),
        n_target_labels=n_target_labels,
        reading=_reading(test.pvalue, distance, label_shift, n_target_labels),
    )

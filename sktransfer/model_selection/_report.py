"""A self-contained HTML report of a :class:`TransferSelector` fit."""

import base64
import html
import io

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import check_is_fitted

__all__ = ["selection_report"]

_MAX_PLOTTED_ROWS = 600


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "The HTML report draws its plots with matplotlib, which is not "
            "installed: pip install 'sktransfer[report]' (or matplotlib)."
        ) from exc
    return plt


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    _pyplot().close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _embed_2d(Z, random_state):
    """First two principal axes (truncated SVD of the centered rows)."""
    from sklearn.decomposition import PCA, TruncatedSVD

    if sp.issparse(Z):
        return TruncatedSVD(2, random_state=random_state).fit_transform(Z)
    Z = np.asarray(Z, dtype=np.float64)
    if Z.shape[1] < 2:
        return np.column_stack([Z[:, 0], np.zeros(Z.shape[0])])
    return PCA(2, random_state=random_state).fit_transform(Z)


def _mapped_rows(estimator, X, y, sample_domain):
    """The rows after the winner's mapping, fitted as in ``fit``; or ``None``.

    A :class:`~sktransfer.benchmark.TransformedClassifier` or a pipeline
    maps the rows before its classifier; the mapping is fitted again with
    ``fit_transform``, which maps each row by its domain (CORAL recolors the
    source rows, for one).
    """
    from sklearn.pipeline import Pipeline

    transformers = []
    if hasattr(estimator, "transformer_"):
        transformers = [estimator.transformer]
    elif isinstance(estimator, Pipeline):
        transformers = [
            step for _, step in estimator.steps[:-1] if step != "passthrough"
        ]
    if not transformers:
        return None
    Z = X
    for transformer in transformers:
        transformer = clone(transformer)
        try:
            Z = transformer.fit_transform(Z, y, sample_domain=sample_domain)
        except TypeError:
            Z = transformer.fit_transform(Z, y)
    return Z


def _domains_figure(X, Z, sample_domain, random_state):
    plt = _pyplot()
    rng = check_random_state(random_state)
    rows = []
    for kind in (sample_domain > 0, sample_domain < 0):
        candidates = np.flatnonzero(kind)
        take = min(_MAX_PLOTTED_ROWS, candidates.size)
        rows.append(np.sort(rng.choice(candidates, take, replace=False)))
    rows = np.concatenate(rows)
    panels = [("before: the input features", X)]
    if Z is not None:
        panels.append(("after the chosen mapping", Z))
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4))
    axes = np.atleast_1d(axes)
    for ax, (title, data) in zip(axes, panels):
        embedded = _embed_2d(_safe_indexing(data, rows), random_state)
        is_source = sample_domain[rows] > 0
        ax.scatter(*embedded[is_source].T, s=8, alpha=0.5, label="source")
        ax.scatter(*embedded[~is_source].T, s=8, alpha=0.5, label="target")
        ax.set_title(title)
        ax.set_xlabel("first principal axis")
        ax.set_ylabel("second principal axis")
        ax.legend(loc="best")
    return _png(figure)


def _candidates_figure(selector):
    plt = _pyplot()
    results = selector.cv_results_
    names = list(results["name"])
    order = np.arange(len(names))[::-1]
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(11, 0.45 * len(names) + 1.5), sharey=True
    )
    colors = [
        "tab:red"
        if i == selector.best_index_
        else "tab:gray"
        if results["is_baseline"][i]
        else "tab:blue"
        for i in range(len(names))
    ]
    left.barh(
        order,
        results["mean_test_score"],
        xerr=results["std_test_score"],
        color=colors,
        alpha=0.8,
    )
    left.set_yticks(
        order,
        [
            n + (" (baseline)" if b else "")
            for n, b in zip(names, results["is_baseline"])
        ],
    )
    left.set_xlabel(f"score ({selector.criterion_})")
    left.set_title("score of each candidate (mean ± std over folds)")
    gains = results["mean_gain"]
    low, high = results["gain_low"], results["gain_high"]
    errors = np.vstack([np.nan_to_num(gains - low), np.nan_to_num(high - gains)])
    right.errorbar(gains, order, xerr=errors, fmt="o", color="black", capsize=3)
    right.axvline(0, color="tab:gray", lw=1)
    right.set_xlabel(f"gain over {selector.best_baseline_}")
    right.set_title(f"gain with its {100 * selector.confidence_level:.0f}% interval")
    return _png(figure)


def _folds_figure(selector):
    plt = _pyplot()
    results = selector.cv_results_
    splits = [k for k in results if k.startswith("split")]
    if not splits:
        return None
    scores = np.column_stack([results[k] for k in splits])
    figure, ax = plt.subplots(figsize=(8, 0.45 * len(scores) + 1.5))
    names = list(results["name"])
    data = [row[np.isfinite(row)] for row in scores]
    ax.boxplot(data[::-1], orientation="horizontal")
    ax.set_yticks(np.arange(1, len(names) + 1), names[::-1])
    ax.set_xlabel(f"score per fold ({selector.criterion_})")
    ax.set_title("the folds behind each mean")
    return _png(figure)


def _table(selector):
    results = selector.cv_results_
    head = ("candidate", "score", "std", "gain", "interval", "")
    rows = []
    for i, name in enumerate(results["name"]):
        gain = results["mean_gain"][i]
        interval = (
            f"[{results['gain_low'][i]:+.3f}, {results['gain_high'][i]:+.3f}]"
            if np.isfinite(results["gain_low"][i]) and name != selector.best_baseline_
            else ""
        )
        note = "chosen" if i == selector.best_index_ else ""
        if results["is_baseline"][i]:
            note = (note + " baseline").strip()
        if results["error"][i]:
            note = f"failed: {results['error'][i]}"
        cells = (
            name,
            f"{results['mean_test_score'][i]:.3f}",
            f"{results['std_test_score'][i]:.3f}",
            f"{gain:+.3f}" if np.isfinite(gain) else "",
            interval,
            note,
        )
        rows.append(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
        )
    header = "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"
    return f"<table>{header}{''.join(rows)}</table>"


def selection_report(
    selector, X, y, sample_domain, *, diagnosis=None, title=None, random_state=0
):
    """An HTML page that shows what a fitted :class:`TransferSelector` found.

    The page is self-contained (the plots are embedded PNG images): the
    verdict, the diagnosis of the shift when given (see
    :func:`sktransfer.metrics.diagnose_shift`), the table of the candidates,
    their scores and their gains over the best baseline with intervals, the
    two domains in a 2-d embedding before and after the chosen mapping
    (where the winner has one), and the fold scores behind each mean.
    Needs matplotlib (``pip install 'sktransfer[report]'``).

    Parameters
    ----------
    selector : TransferSelector
        The fitted selector.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows it was fitted on.
    y : array-like of shape (n_samples,)
        Their labels, with the unlabeled marker.
    sample_domain : array-like of shape (n_samples,)
        Their domains.
    diagnosis : Bunch, default=None
        What :func:`~sktransfer.metrics.diagnose_shift` returned.
    title : str, default=None
        The page's title; ``None`` means "Which model for the target?".
    random_state : int, default=0
        Draws the rows that are plotted.

    Returns
    -------
    page : str
        The HTML document.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.model_selection import TransferSelector, selection_report
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> y = hide_target_labels(y, sd, n_labeled=10, random_state=0)
    >>> selector = TransferSelector(base_estimator=LogisticRegression(),
    ...                             n_repeats=1).fit(X, y, sample_domain=sd)
    >>> page = selection_report(selector, X, y, sd)
    >>> page.count("<img")
    3
    """
    check_is_fitted(selector, "cv_results_")
    sample_domain = np.asarray(sample_domain)
    y = np.asarray(y)
    mapped = _mapped_rows(selector.best_estimator_, X, y, sample_domain)
    figures = [
        ("The two domains", _domains_figure(X, mapped, sample_domain, random_state)),
        ("Scores and gains", _candidates_figure(selector)),
        ("The folds", _folds_figure(selector)),
    ]
    title = title or "Which model for the target?"
    verdict = html.escape(selector.summary().splitlines()[-1])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;"
        "padding:0 1em}table{border-collapse:collapse}td,th{padding:2px 10px;"
        "border-bottom:1px solid #ddd;text-align:left}img{max-width:100%}"
        ".verdict{font-size:1.2em;font-weight:bold}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="verdict">{verdict}</p>',
    ]
    if diagnosis is not None:
        counts = (
            f"source classes {diagnosis.source_label_counts}; labeled target "
            f"classes {diagnosis.target_label_counts}"
        )
        parts += [
            "<h2>The shift</h2>",
            f"<p>{html.escape(diagnosis.reading)}.</p><ul>",
            f"<li>{diagnosis.n_source} source rows, {diagnosis.n_target} target "
            f"rows, {diagnosis.n_target_labels} of them labeled</li>",
            f"<li>MMD&sup2; {diagnosis.mmd2:.4f}, permutation p-value "
            f"{diagnosis.mmd_pvalue:.3f}</li>",
            f"<li>proxy A-distance {diagnosis.proxy_a_distance:.2f} (0: alike, 2: "
            "separable)</li>",
            f"<li>{html.escape(counts)}</li></ul>",
        ]
    parts += ["<h2>The candidates</h2>", _table(selector)]
    for heading, image in figures:
        if image is None:
            continue
        parts += [
            f"<h2>{heading}</h2>",
            f'<img class="plot" alt="{heading}" src="data:image/png;base64,{image}">',
        ]
    parts += [
        "<pre>" + html.escape(selector.summary()) + "</pre>",
        "<script>window.addEventListener('load',function(){var n=0;"
        "document.querySelectorAll('img.plot').forEach(function(i){"
        "if(i.complete&&i.naturalWidth>0){n++}});"
        "document.body.setAttribute('data-plots-shown',n)});</script>",
        "</body></html>",
    ]
    return "\n".join(parts)

"""Speed and peak memory of rbf TCA: sktransfer against skada and ADAPT.

Each method runs in a fresh subprocess, so that its peak resident memory
(``ru_maxrss``) is its own; the table shows the fit time, the peak memory of
the process, the peak before the fit (interpreter, imports and data), and the
accuracy on the target rows of a logistic regression fitted on the embedded
source rows, standardized (``raw``: on the 50 input features). The data:
``make_classification`` (2 classes, 5 informative features among 50); in
the target half, five uninformative features with three times the spread
move by a random offset, a shift that misleads the source classifier and
that TCA's mean matching can undo.

Runs:

* rbf TCA at n_source = n_target = 3000, d = 50, 20 components, with
  sktransfer (``solver="auto"``, i.e. the randomized kernel solver here),
  skada 0.6.0 and ADAPT 0.4.5. skada and ADAPT weight the MMD term by ``mu``
  where TCA's paper (and sktransfer) weight the regularizer, and sktransfer
  scales the MMD matrix to unit Frobenius norm (``1/n_s + 1/n_t`` before),
  so their default ``mu=0.1`` is sktransfer's
  ``mu = 1 / (0.1 * (1/n_s + 1/n_t))`` (the rbf kernel has a unit diagonal).
* the row-order check, at 500 + 500 rows: the same fit with source and
  target rows interleaved; the largest difference between the embeddings of
  the same rows (relative to the largest entry, up to signs).
* sktransfer's exact dense solver at 3000 + 3000 (accuracy reference) and its
  Nystroem approximation at 3000 + 3000 and at 50,000 + 50,000 rows.

skada and ADAPT run with the Python given by ``--peer-python`` (a separate
virtual environment); a peer that cannot be imported is skipped, saying so.
BLAS is limited to ``--threads`` threads (threadpoolctl) in every process.

Usage::

    python benchmarks/feature_speed.py --peer-python /tmp/venv_peers/bin/python
    python benchmarks/feature_speed.py --skip-large
"""

import argparse
import json
import resource
import subprocess
import sys
import time

N_FEATURES = 50
N_COMPONENTS = 20
ORDER_CHECK_MAX = 500


def make_data(n_per_domain, interleave=False, seed=0):
    import numpy as np
    from sklearn.datasets import make_classification

    X, y = make_classification(
        2 * n_per_domain,
        N_FEATURES,
        n_informative=5,
        n_redundant=0,
        n_repeated=0,
        class_sep=1.0,
        shuffle=False,
        random_state=seed,
    )
    rng = np.random.RandomState(seed)
    X[:, 5:10] *= 3  # uninformative features with a large spread ...
    X[n_per_domain:, 5:10] += 4 * rng.normal(size=5)  # ... move in the target
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    sd = np.repeat([1, -1], n_per_domain)
    order = np.arange(2 * n_per_domain)
    if interleave:
        order = np.ravel(np.column_stack([order[:n_per_domain], order[n_per_domain:]]))
    return X[order], y[order], sd[order], order


def _fit(method, X, sd):
    """Embed the rows of ``X`` (returned in the order of ``X``)."""
    if method == "raw":
        return X
    if method.startswith("sktransfer"):
        from sktransfer.feature import TransferComponentAnalysis

        solver = method.partition(":")[2] or "auto"
        n_source, n_target = (sd > 0).sum(), (sd < 0).sum()
        # the peers' mu=0.1 on the MMD term, in sktransfer's terms
        mu = 1.0 / (0.1 * (1.0 / n_source + 1.0 / n_target))
        tca = TransferComponentAnalysis(
            N_COMPONENTS, kernel="rbf", mu=mu, solver=solver, random_state=0
        )
        return tca.fit_transform(X, sample_domain=sd)
    if method == "skada":
        from skada import TransferComponentAnalysisAdapter

        tca = TransferComponentAnalysisAdapter(n_components=N_COMPONENTS, mu=0.1)
        return tca.fit_transform(X, sample_domain=sd)
    if method == "adapt":
        import numpy as np
        from adapt.feature_based import TCA

        tca = TCA(
            n_components=N_COMPONENTS,
            mu=0.1,
            kernel="rbf",
            gamma=1.0 / N_FEATURES,
            verbose=0,
            random_state=0,
        )
        Zs = tca.fit_transform(X[sd > 0], X[sd < 0])
        Z = np.empty((X.shape[0], Zs.shape[1]))
        Z[sd > 0] = Zs
        Z[sd < 0] = tca.transform(X[sd < 0], domain="tgt")
        return Z
    raise ValueError(method)


def worker(method, n_per_domain, threads):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    X, y, sd, order = make_data(n_per_domain)
    order = np.ravel(np.column_stack([order[:n_per_domain], order[n_per_domain:]]))
    Xi, sdi = X[order], sd[order]
    _fit_imports = {"skada": "skada", "adapt": "adapt.feature_based"}
    if method in _fit_imports:
        __import__(_fit_imports[method])
    else:
        import sktransfer.feature  # noqa: F401
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with threadpool_limits(threads):
        start = time.perf_counter()
        Z = _fit(method, X, sd)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # standardized: the libraries scale their components differently
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    clf.fit(Z[sd > 0], y[sd > 0])
    out = {
        "method": method,
        "n": int(X.shape[0]),
        "seconds": seconds,
        "peak_mb": peak,
        "before_mb": before,
        "accuracy": clf.score(Z[sd < 0], y[sd < 0]),
    }
    if n_per_domain <= ORDER_CHECK_MAX:
        with threadpool_limits(threads):
            Zi = _fit(method, Xi, sdi)
        # rows of Zi are the rows order[i] of X: compare embeddings of the
        # same rows, up to the sign of each component
        Zs = Z[order]
        signs = np.sign(np.sum(Zs * Zi, axis=0))
        out["order_diff"] = float(np.abs(Zs - Zi * signs).max() / np.abs(Zs).max())
    print(json.dumps(out))


def run(python, method, n_per_domain, threads, timeout):
    cmd = [
        python,
        __file__,
        "--worker",
        method,
        "--n",
        str(n_per_domain),
        "--threads",
        str(threads),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"timed out after {timeout} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"method": method, "error": last}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-python", default=sys.executable)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--worker", default=None)
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.n, args.threads)
        return 0

    jobs = [
        (sys.executable, "raw", 3000),
        (sys.executable, "sktransfer", ORDER_CHECK_MAX),
        (args.peer_python, "skada", ORDER_CHECK_MAX),
        (args.peer_python, "adapt", ORDER_CHECK_MAX),
        (sys.executable, "sktransfer", 3000),
        (args.peer_python, "skada", 3000),
        (args.peer_python, "adapt", 3000),
        (sys.executable, "sktransfer:dense", 3000),
        (sys.executable, "sktransfer:nystroem", 3000),
    ]
    if not args.skip_large:
        jobs.append((sys.executable, "sktransfer:nystroem", 50_000))
    results = []
    for python, method, n in jobs:
        result = run(python, method, n, args.threads, args.timeout)
        result.setdefault("n", 2 * n)
        results.append(result)
        print(json.dumps(result), file=sys.stderr)
    base = {
        r["n"]: r for r in results if r["method"] == "sktransfer" and "error" not in r
    }
    print(
        f"rbf TCA, d = {N_FEATURES}, {N_COMPONENTS} components, BLAS threads = "
        f"{args.threads}"
    )
    print(
        f"{'method':22s}{'rows':>8s}{'fit s':>9s}{'x slower':>10s}{'peak MB':>9s}"
        f"{'before':>8s}{'acc':>7s}{'order diff':>12s}"
    )
    for r in results:
        if "error" in r:
            print(f"{r['method']:22s}{r['n']:8d}  skipped: {r['error']}")
            continue
        ref = base.get(r["n"])
        ratio = r["seconds"] / ref["seconds"] if ref else float("nan")
        order = r.get("order_diff")
        order = f"{order:12.1e}" if order is not None else f"{'-':>12s}"
        print(
            f"{r['method']:22s}{r['n']:8d}{r['seconds']:9.2f}{ratio:10.1f}"
            f"{r['peak_mb']:9.0f}{r['before_mb']:8.0f}{r['accuracy']:7.3f}{order}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

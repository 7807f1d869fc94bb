"""Run every gallery example and the doctests of the user guide.

A broken example or a stale code snippet in ``docs/*.rst`` then fails the
tests even when the documentation is not built. Each example runs with
matplotlib's non-interactive Agg backend, in a temporary working directory,
and with BLAS limited to one thread (the examples fit many tiny models, which
extra threads only slow down).
"""

import doctest
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))
GUIDE_PAGES = sorted(p for p in (ROOT / "docs").glob("*.rst") if p.name != "api.rst")


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, tmp_path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib")
    # load SciPy's BLAS now, so that the thread limit below applies to it
    import scipy.optimize  # noqa: F401
    from threadpoolctl import threadpool_limits

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import sklearn

    monkeypatch.chdir(tmp_path)
    try:
        # an example that sets scikit-learn's config must not leak it
        with threadpool_limits(1), sklearn.config_context():
            runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")


def test_examples_found():
    assert EXAMPLES, "no examples/plot_*.py found"


@pytest.mark.parametrize("path", GUIDE_PAGES, ids=[p.stem for p in GUIDE_PAGES])
def test_user_guide_doctests(path):
    result = doctest.testfile(
        str(path),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {path.name}"


def test_readme_quickstart_runs(capsys):
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert blocks, "README.md has no python quickstart"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    accuracy = float(capsys.readouterr().out.split()[-1])
    assert 0.0 <= accuracy < 0.9, "the quickstart should show a shift that hurts"

"""The API reference page that docs/_apigen.py writes."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def apigen():
    spec = importlib.util.spec_from_file_location(
        "_apigen", ROOT / "docs" / "_apigen.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_constants_get_their_own_description(apigen):
    # case 17: the page of sktransfer.utils.UNLABELED showed int's docstring
    page = apigen.api_page()
    utils = page[page.index(":mod:`sktransfer.utils`") :]
    utils = utils[: utils.index(":mod:`", 10)]
    assert (
        ".. data:: UNLABELED\n   :value: -1\n\n   Label that marks an unlabeled"
        in utils
    )
    tables = [block for block in utils.split(".. autosummary::")[1:]]
    assert all("UNLABELED" not in block.split("\n\n")[1] for block in tables)


def test_constant_description_follows_imports(apigen):
    description = apigen.constant_description("sktransfer.utils", "UNLABELED")
    assert description.startswith("Label that marks an unlabeled target row")
    assert apigen.constant_description("sktransfer.utils", "missing") == ""

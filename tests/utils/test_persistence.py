"""Secure persistence: trusted types, skops round trips, deep nets without pickle."""

import io
import json
import pickle
import sys
import warnings
import zipfile
from unittest import SkipTest

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier
from skorch import NeuralNet, NeuralNetClassifier
from skorch.exceptions import DeviceWarning

import sktransfer.feature
from sktransfer.deep import (
    MLP,
    DANNClassifier,
    DomainNetClassifier,
    FineTuningClassifier,
)
from sktransfer.deep._persistence import PortableStateMixin, get_portable_state
from sktransfer.feature import CORAL
from sktransfer.instance import TrAdaBoostClassifier
from sktransfer.utils import _persistence, all_estimators, dump, get_trusted_types, load
from sktransfer.utils import estimator_checks as ec
from sktransfer.utils.estimator_checks import make_transfer_check_data

skops_io = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException  # noqa: E402

_CALLS = []


def _record_call(*args):
    _CALLS.append(args)


class _Payload:
    """Unpickling it calls ``_record_call``: any code could run in its place."""

    def __reduce__(self):
        return (_record_call, ("code from the file ran",))


def _data(net):
    X, y, sample_domain, _ = make_transfer_check_data(net)
    return X, y, sample_domain


def _fitted(cls=DANNClassifier, **params):
    params = {"max_epochs": 2, "random_state": 0, "device": "cpu", **params}
    net = cls(**params)
    X, y, sample_domain = _data(net)
    return net.fit(X, y, sample_domain=sample_domain), X


def _round_trip(model, **load_params):
    buffer = io.BytesIO()
    dump(model, buffer)
    return load(io.BytesIO(buffer.getvalue()), **load_params)


def _schema_loaders(data):
    """Every ``__loader__`` of a skops file."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("schema.json"))
    found = set()

    def visit(node):
        if isinstance(node, dict):
            found.add(node.get("__loader__"))
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return found


# --- the trusted types -------------------------------------------------------


def test_trusted_types_list_every_estimator_and_default_parameter():
    trusted = get_trusted_types()
    for _, cls in all_estimators():
        assert f"{cls.__module__}.{cls.__name__}" in trusted
    # named by the default parameters of the deep nets, and held by a fitted one
    for name in (
        "torch.nn.modules.loss.CrossEntropyLoss",
        "torch.optim.adam.Adam",
        "skorch.history.History",
    ):
        assert name in trusted
    assert trusted == sorted(trusted)


def test_trusted_types_are_derived_from_the_exports(monkeypatch):
    class NewMethod(CORAL):
        """A method added to a family later."""

    NewMethod.__module__ = "sktransfer.feature._new"
    monkeypatch.setattr(sktransfer.feature, "NewMethod", NewMethod, raising=False)
    monkeypatch.setattr(
        sktransfer.feature, "__all__", [*sktransfer.feature.__all__, "NewMethod"]
    )
    _persistence._derive_trusted_types.cache_clear()
    try:
        assert "sktransfer.feature._new.NewMethod" in get_trusted_types()
    finally:
        _persistence._derive_trusted_types.cache_clear()


def test_trusted_types_never_run_code():
    trusted = get_trusted_types(trees=True)
    _, refused = _persistence._derive_trusted_types()
    assert refused == {}, "the package's own types include code-running ones"
    assert not [name for name in trusted if _persistence._unsafe_reason(name)]
    assert not any(name.startswith(("builtins.", "pickle.", "os.")) for name in trusted)
    assert "builtins.eval" not in trusted
    for name in ("skorch.net.NeuralNet", "skorch.classifier.NeuralNetClassifier"):
        assert name not in trusted
    # every trusted skorch net stores its torch objects without pickle
    for _, cls in all_estimators():
        if issubclass(cls, NeuralNet):
            assert issubclass(cls, PortableStateMixin), cls


def test_tree_structures_only_when_asked():
    assert "sklearn.tree._tree.Tree" not in get_trusted_types()
    with_trees = get_trusted_types(trees=True)
    assert "sklearn.tree._tree.Tree" in with_trees
    assert "sklearn.neighbors._kd_tree.KDTree" in with_trees
    assert set(get_trusted_types()) < set(with_trees)


# --- refusing what is not trusted ------------------------------------------------


def test_file_with_an_untrusted_type_is_refused():
    buffer = io.BytesIO()
    dump(FunctionTransformer(func=_record_call), buffer)
    with pytest.raises(UntrustedTypesFoundException, match="_record_call") as info:
        load(io.BytesIO(buffer.getvalue()))
    assert "trusted=[...]" in str(info.value)
    assert _CALLS == []


def test_load_refuses_to_trust_code_running_types():
    buffer = io.BytesIO()
    dump(FunctionTransformer(func=eval), buffer)
    with pytest.raises(UntrustedTypesFoundException, match="builtins.eval"):
        load(io.BytesIO(buffer.getvalue()))
    with pytest.raises(ValueError, match="load does not trust these types: builtins"):
        load(io.BytesIO(buffer.getvalue()), trusted=["builtins.eval"])
    with pytest.raises(ValueError, match="skorch net that unpickles"):
        load(io.BytesIO(buffer.getvalue()), trusted=[NeuralNetClassifier])


def test_skorch_pickle_inside_a_trusted_net_is_refused(monkeypatch):
    """skorch keeps a net's torch objects as a pickle in bytes, unseen by skops.

    A crafted file of a trusted net class whose every type is trusted but
    whose state carries skorch's pickled bytes: skorch's ``__setstate__``
    would unpickle them (and run the payload); sktransfer's refuses them.
    """
    net, _ = _fitted(DomainNetClassifier, max_epochs=1)
    payload = pickle.dumps({"criterion_": _Payload()})

    def crafted_state(self):
        return {**get_portable_state(self), "__cuda_dependent_attributes__": payload}

    monkeypatch.setattr(PortableStateMixin, "__getstate__", crafted_state)
    data = skops_io.dumps(net)
    monkeypatch.undo()
    untrusted = skops_io.get_untrusted_types(data=data)
    assert set(untrusted) <= set(get_trusted_types()), "skops sees only bytes"
    with pytest.raises(TypeError, match="skorch's format.*does not unpickle"):
        load(io.BytesIO(data))
    with pytest.raises(TypeError, match="skorch's format"):
        skops_io.loads(data, trusted=untrusted)
    assert _CALLS == []
    # what skorch's own __setstate__ does with the same bytes
    skorch_state = {"device": "cpu", "__cuda_dependent_attributes__": payload}
    NeuralNet.__setstate__(NeuralNet.__new__(NeuralNet), skorch_state)
    assert _CALLS == [("code from the file ran",)]
    _CALLS.clear()


def test_load_says_how_to_trust_trees():
    X, y, sample_domain = _data(TrAdaBoostClassifier())
    model = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=2), n_estimators=3, random_state=0
    )
    buffer = io.BytesIO()
    dump(model.fit(X, y, sample_domain=sample_domain), buffer)
    with pytest.raises(UntrustedTypesFoundException, match=r"load\(file, trees=True\)"):
        load(io.BytesIO(buffer.getvalue()))
    restored = load(io.BytesIO(buffer.getvalue()), trees=True)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))


def test_missing_skops_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    for call in (
        lambda: dump(CORAL(), io.BytesIO()),
        lambda: load(io.BytesIO()),
        lambda: _persistence._import_skops(),
    ):
        with pytest.raises(ImportError, match=r"sktransfer\[persist\]"):
            call()


# --- deep nets -------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls", [DomainNetClassifier, DANNClassifier, FineTuningClassifier]
)
def test_deep_net_file_holds_no_pickle(cls):
    net, X = _fitted(cls)
    data = skops_io.dumps(net)
    loaders = _schema_loaders(data)
    assert "BytesNode" not in loaders and "BytearrayNode" not in loaders
    assert set(skops_io.get_untrusted_types(data=data)) <= set(get_trusted_types())
    restored = load(io.BytesIO(data))
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))
    # pickle uses the same state: no torch pickle inside it either
    assert b"__cuda_dependent_attributes__" not in pickle.dumps(net)


def _trained_on_cuda(device):
    """A net trained on CUDA, or, without a GPU, one whose state says so."""
    if torch.cuda.is_available():
        net, X = _fitted(DomainNetClassifier, device=device)
        assert next(net.module_.parameters()).is_cuda
        return net, X, net.predict_proba(X), False
    net, X = _fitted(DomainNetClassifier, device="cpu")
    expected = net.predict_proba(X)
    net.device, net.device_ = device, "cuda"
    return net, X, expected, True


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_net_trained_on_gpu_loads_and_predicts_on_cpu(device, monkeypatch):
    net, X, expected, simulated = _trained_on_cuda(device)
    buffer = io.BytesIO()
    dump(net, buffer)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        restored = load(io.BytesIO(buffer.getvalue()))
    device_warnings = [w for w in caught if issubclass(w.category, DeviceWarning)]
    if device == "auto":
        # "auto" asked for whatever device there is: it loads silently
        assert device_warnings == [] and restored.get_params()["device"] == "auto"
    else:
        assert device_warnings, "an explicit cuda device mapped to the CPU silently"
    assert restored.device_ == "cpu"
    assert all(not p.is_cuda for p in restored.module_.parameters())
    got = restored.predict_proba(X)
    if simulated:
        np.testing.assert_array_equal(got, expected)
    else:  # other kernels on the CPU
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


def test_training_continues_after_loading_as_without_it():
    net, X = _fitted(DANNClassifier)
    _, y, sample_domain = _data(net)
    restored = _round_trip(net)
    net.partial_fit(X, y, sample_domain=sample_domain)
    restored.partial_fit(X, y, sample_domain=sample_domain)
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))


def test_loading_leaves_the_torch_generator_alone():
    net, _ = _fitted(DANNClassifier, max_epochs=1)
    buffer = io.BytesIO()
    dump(net, buffer)
    before = torch.random.get_rng_state()
    _round_trip(net)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_pretrained_module_instance_with_a_new_head():
    """A module passed as an instance is saved as its class and arrays."""
    pretrained = MLP(4, 5, hidden_units=(8,))
    net, X = _fitted(
        FineTuningClassifier, module=pretrained, replace_head=True, freeze=1
    )
    assert net.module_.head.out_features == 2 != pretrained.head.out_features
    buffer = io.BytesIO()
    dump(net, buffer)
    layers = sorted(
        name
        for name in skops_io.get_untrusted_types(data=buffer.getvalue())
        if name.startswith("torch.nn.modules.")
    )
    assert "torch.nn.modules.linear.Linear" in layers
    with pytest.raises(UntrustedTypesFoundException, match="linear.Linear"):
        load(io.BytesIO(buffer.getvalue()))
    restored = load(io.BytesIO(buffer.getvalue()), trusted=layers)
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))
    assert restored.frozen_params_ == net.frozen_params_
    frozen = {n for n, p in restored.module_.named_parameters() if not p.requires_grad}
    assert frozen == net.frozen_params_ == {"features.1.weight", "features.1.bias"}
    assert isinstance(restored.module, MLP) and restored.module.head.out_features == 5
    torch.testing.assert_close(restored.module.head.weight, pretrained.head.weight)


def test_tensor_parameter_round_trip():
    weight = torch.tensor([1.0, 3.0])
    net, X = _fitted(DomainNetClassifier, criterion__weight=weight)
    restored = _round_trip(net)
    assert isinstance(restored.criterion__weight, torch.Tensor)
    torch.testing.assert_close(restored.criterion__weight, weight)
    torch.testing.assert_close(restored.criterion_.weight, weight)
    np.testing.assert_array_equal(restored.predict_proba(X), net.predict_proba(X))


def test_unfitted_net_round_trip():
    net = DANNClassifier(max_epochs=1, domain_weight=0.5)
    restored = _round_trip(net)
    assert restored.get_params()["domain_weight"] == 0.5
    assert not hasattr(restored, "module_")


# --- the shared check ------------------------------------------------------------


class _HoldsAFunction(ClassifierMixin, BaseEstimator):
    """Keeps ``len`` in its fitted state: a type sktransfer does not trust."""

    __metadata_request__fit = {"sample_domain": True}

    def fit(self, X, y, *, sample_domain=None):
        self.classes_ = np.array([0, 1])
        self.function_ = len
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_check_skops_round_trip_names_an_untrusted_fitted_type():
    with pytest.raises(AssertionError, match=r"does not list: \['builtins.len'\]"):
        ec.check_skops_round_trip("_HoldsAFunction", _HoldsAFunction())


def test_check_skops_round_trip_skips_without_skops(monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(SkipTest, match=r"sktransfer\[persist\]"):
        ec.check_skops_round_trip("CORAL", CORAL())

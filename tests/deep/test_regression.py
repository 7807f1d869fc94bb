"""The deep regressors: DomainNetRegressor and its DANN, Deep CORAL and DAN."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.metrics import r2_score
from torch.utils.data import TensorDataset

from sktransfer.deep import (
    DANNClassifier,
    DANRegressor,
    DeepCORALClassifier,
    TargetValidSplit,
)
from sktransfer.deep._alignment import DeepCORALRegressor
from sktransfer.deep._base import DomainAlignmentRegressor, DomainNetRegressor
from sktransfer.deep._dann import DANNRegressor

REGRESSORS = [DomainNetRegressor, DANNRegressor, DeepCORALRegressor, DANRegressor]
ALIGNMENT = [DANNRegressor, DeepCORALRegressor, DANRegressor]


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # these networks are tiny: threads only add contention on a busy machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _net(cls, **params):
    params = {
        "max_epochs": 3,
        "random_state": 0,
        "device": "cpu",
        "module__hidden_units": (16,),
        **params,
    }
    return cls(**params)


def _data(seed=0, n=60, n_labeled=10):
    """A linear target of 4 features; the target rows are shifted by 1."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(2 * n, 4)).astype(np.float32)
    X[n:] += 1.0
    y = X @ np.array([1.0, -0.5, 0.25, 0.0]) + 0.1 * rng.normal(size=2 * n)
    sd = np.r_[np.ones(n, int), -np.ones(n, int)]
    y_train = y.copy()
    y_train[n + n_labeled :] = np.nan
    return X, y_train, sd, y


def _sensor_shift(seed, shift, n=100):
    """Two noisy views of the signal ``z``; the target's second one drifts.

    ``y = z + noise``; the features are ``z`` plus noise twice, and two
    noise features. On the target rows the second view of ``z`` is offset
    by 3 (``"offset"``) or amplified 3 times (``"gain"``), as by a sensor
    whose bias or gain changed. A network trained on the source averages
    both views and carries the drift into its predictions; features that
    the domains share leave it out. Every target row is unlabeled.
    """
    rng = np.random.RandomState(seed)
    z = rng.normal(size=2 * n)
    y = z + 0.3 * rng.normal(size=2 * n)
    noisy = z[:, None] + 0.5 * rng.normal(size=(2 * n, 2))
    X = np.c_[noisy, rng.normal(size=(2 * n, 2))].astype(np.float32)
    if shift == "offset":
        X[n:, 1] += 3.0
    else:
        X[n:, 1] *= 3.0
    sd = np.r_[np.ones(n, int), -np.ones(n, int)]
    y_train = y.copy()
    y_train[n:] = np.nan
    return X, y_train, sd, y


# --- the unlabeled marker ----------------------------------------------------


def test_nan_rows_are_left_out_of_the_label_loss():
    # one whole batch per epoch: training on all rows with the unlabeled rows
    # nan is the same as training on the labeled rows alone
    X, y, _, _ = _data()
    params = dict(batch_size=-1, max_epochs=5, lr=1e-2)
    sd = np.where(np.isnan(y), -1, 1)  # the unlabeled rows are target rows
    with_nan = _net(DomainNetRegressor, **params).fit(X, y, sample_domain=sd)
    labeled = ~np.isnan(y)
    alone = _net(DomainNetRegressor, **params).fit(X[labeled], y[labeled])
    np.testing.assert_allclose(with_nan.predict(X), alone.predict(X), rtol=1e-4)
    losses = [h["train_loss"] for h in with_nan.history]
    np.testing.assert_allclose(losses, [h["train_loss"] for h in alone.history])
    assert np.isfinite(losses).all()


def test_label_loss_is_the_criterion_on_labeled_rows_with_a_finite_gradient():
    X, y, sd, _ = _data()
    net = _net(DomainNetRegressor, max_epochs=1).fit(X, y, sample_domain=sd)
    outputs = torch.randn(6, 1, requires_grad=True)
    targets = torch.tensor([[1.0], [np.nan], [2.0], [np.nan], [0.0], [3.0]])
    loss = net.label_loss(outputs, targets)
    keep = ~torch.isnan(targets[:, 0])
    expected = torch.nn.functional.mse_loss(outputs[keep], targets[keep])
    assert loss.item() == pytest.approx(expected.item())
    loss.backward()
    assert torch.isfinite(outputs.grad).all()
    assert (outputs.grad[~keep] == 0).all()
    # a batch without a labeled row contributes zero, with a graph
    empty = net.label_loss(outputs, torch.full((6, 1), np.nan))
    assert empty.item() == 0.0 and empty.requires_grad


@pytest.mark.parametrize("cls", REGRESSORS)
def test_fit_on_nan_marked_rows_and_predict_values(cls):
    X, y, sd, _ = _data()
    net = _net(cls).fit(X, y, sample_domain=sd)
    prediction = net.predict(X)
    assert prediction.shape == (len(X),) and prediction.dtype == np.float64
    assert np.isfinite(prediction).all() and net.n_outputs_ == 1
    # integer targets are values too
    assert _net(cls).fit(X, np.arange(len(X)) % 3).predict(X[:2]).shape == (2,)


# --- transfer ----------------------------------------------------------------

# Target MSE of each method over that of the source-only network (same
# architecture, schedule and seed), measured on seeds 0-4: DANN 0.39-0.63 and
# DAN 0.08-0.31 on the offset; Deep CORAL 0.32-0.59 and DAN 0.15-0.50 on the
# gain. The bounds below hold on every seed measured.
TRANSFER_CASES = [
    ("offset", DANNRegressor, {}, 0.75),
    ("offset", DANRegressor, {}, 0.5),
    ("gain", DeepCORALRegressor, {"coral_weight": 100.0}, 0.7),
    ("gain", DANRegressor, {}, 0.6),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "shift, cls, params, bound",
    TRANSFER_CASES,
    ids=[f"{case[1].__name__}-{case[0]}" for case in TRANSFER_CASES],
)
def test_alignment_beats_source_only_on_a_drifting_sensor(
    shift, cls, params, bound, seed
):
    X, y, sd, y_true = _sensor_shift(seed, shift)
    common = dict(max_epochs=30, lr=1e-2, batch_size=32, random_state=seed)
    target = sd < 0

    def target_mse(net):
        net.fit(X, y, sample_domain=sd)
        return float(np.mean((net.predict(X[target]) - y_true[target]) ** 2))

    source_only = target_mse(_net(DomainNetRegressor, **common))
    adapted = target_mse(_net(cls, **common, **params))
    assert adapted < bound * source_only, (adapted, source_only)


@pytest.mark.parametrize("cls", ALIGNMENT)
def test_without_target_rows_it_is_the_plain_network(cls):
    X, y, sd, y_true = _data()
    source = sd > 0
    plain = _net(DomainNetRegressor).fit(X[source], y_true[source])
    net = _net(cls)
    if cls is DANNRegressor:  # whose learning rate anneals, target rows or not
        net.set_params(callbacks__lr_annealing__alpha=0.0)
    net.fit(X[source], y_true[source])
    assert not net.adapt_
    np.testing.assert_array_equal(net.predict(X), plain.predict(X))


# --- targets, outputs and score ----------------------------------------------


@pytest.mark.parametrize("cls", [DomainNetRegressor, DANNRegressor])
def test_several_outputs(cls):
    X, y, sd, _ = _data()
    Y = np.c_[y, -2.0 * y]
    net = _net(cls, max_epochs=40, lr=1e-2).fit(X, Y, sample_domain=sd)
    assert net.n_outputs_ == 2
    prediction = net.predict(X)
    assert prediction.shape == (len(X), 2) and prediction.dtype == np.float64
    labeled = ~np.isnan(y)
    assert r2_score(Y[labeled], prediction[labeled]) > 0.8
    # the second output learned its own sign
    assert np.corrcoef(prediction[:, 0], prediction[:, 1])[0, 1] < -0.9
    # a column vector stays a column
    column = _net(cls).fit(X, y[:, None], sample_domain=sd)
    assert column.predict(X[:5]).shape == (5, 1)


def test_a_torch_dataset_of_values_or_vectors():
    X, _, _, y = _data()
    items = torch.as_tensor(X)
    values = torch.as_tensor(y, dtype=torch.float32)
    one = TensorDataset(items, values)
    assert _net(DomainNetRegressor).fit(one).predict(one).shape == (len(X),)
    two = TensorDataset(items, torch.stack([values, -values], dim=1))
    assert _net(DANNRegressor).fit(two).predict(X).shape == (len(X), 2)


def test_score_is_r2_on_the_labeled_rows():
    X, y, sd, y_true = _data()
    net = _net(DomainNetRegressor, max_epochs=20, lr=1e-2).fit(X, y, sample_domain=sd)
    labeled = ~np.isnan(y)
    expected = r2_score(y_true[labeled], net.predict(X)[labeled])
    assert net.score(X, y) == pytest.approx(expected)
    assert net.score(X, y_true) == pytest.approx(r2_score(y_true, net.predict(X)))
    with pytest.raises(ValueError, match="no labeled row"):
        net.score(X, np.full(len(X), np.nan))
    assert not hasattr(net, "predict_proba")


def test_target_valid_split_holds_out_labeled_target_rows():
    X, y, sd, _ = _data(n_labeled=20)
    net = _net(DANNRegressor, train_split=TargetValidSplit(0.25))
    history = net.fit(X, y, sample_domain=sd).history
    assert np.isfinite(history[-1]["valid_loss"])
    assert "valid_acc" not in history[-1]


# --- the shared machinery ----------------------------------------------------


def test_dann_regressor_has_the_classifier_s_machinery():
    X, y, sd, _ = _data()
    net = _net(DANNRegressor).set_params(callbacks__adaptation__gamma=0.0)
    net.fit(X, y, sample_domain=sd)
    assert net.adaptation_factor_ == 0.0
    assert net.domain_classifier_ is not None and net.n_features_out_ == 16
    assert {"adaptation", "lr_annealing", "divergence"} <= dict(net.callbacks_).keys()
    assert net.extract_features(X[:3]).shape == (3, 16)
    # the same hyperparameters, but the classes and the accuracy callback
    assert set(DANNRegressor().get_params()) < set(DANNClassifier().get_params())
    assert DANNRegressor().criterion is torch.nn.MSELoss
    assert DeepCORALRegressor().layer == "features"
    assert DeepCORALClassifier().layer == "logits"


def test_regularizers_between_domains_serve_a_regressor():
    X, y, sd, _ = _data()
    net = _net(DANNRegressor, regularizers={"mmd": 0.5, "coral": 1.0})
    net.fit(X, y, sample_domain=sd)
    assert [name for name, _, _ in net.regularizers_] == ["mmd", "coral"]
    assert np.isfinite(net.predict(X)).all()


@pytest.mark.parametrize("term", ["entropy", "mcc", "bnm", "im", "jmmd"])
def test_terms_on_class_predictions_are_an_error_on_a_regressor(term):
    X, y, sd, _ = _data()
    net = _net(DeepCORALRegressor, regularizers={term: 1.0})
    with pytest.raises(ValueError, match=f"names '{term}', a term on class"):
        net.fit(X, y, sample_domain=sd)


def test_a_new_alignment_loss_for_regression_is_one_short_class():
    class MeanGapRegressor(DomainAlignmentRegressor):
        def domain_loss(self, logits, features, sample_domain):
            target = sample_domain < 0
            return (features[~target].mean(0) - features[target].mean(0)).norm()

    X, y, sd, _ = _data()
    net = _net(MeanGapRegressor).fit(X, y, sample_domain=sd)
    assert net.adapt_ and net.predict(X).shape == (len(X),)


# --- persistence -------------------------------------------------------------


@pytest.mark.parametrize("cls", REGRESSORS)
def test_pickle_and_clone(cls):
    X, y, sd, _ = _data()
    net = _net(cls).fit(X, y, sample_domain=sd)
    restored = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(restored.predict(X), net.predict(X))
    assert restored.n_outputs_ == 1
    refit = clone(net).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(refit.predict(X), net.predict(X))


def test_partial_fit_continues_training():
    X, y, sd, _ = _data()
    net = _net(DomainNetRegressor, max_epochs=2)
    net.partial_fit(X, y, sample_domain=sd).partial_fit(X, y, sample_domain=sd)
    assert len(net.history) == 4
    with pytest.raises(ValueError, match="y has 2 output"):
        net.partial_fit(X, np.c_[y, y], sample_domain=sd)


# --- bad input ---------------------------------------------------------------


def test_bad_input_gives_clear_errors():
    X, y, sd, y_true = _data()
    net = _net(DANNRegressor)
    with pytest.raises(ValueError, match="got no labeled row"):
        net.fit(X, np.full(len(X), np.nan), sample_domain=-np.ones(len(X), int))
    with pytest.raises(ValueError, match="nan on 60 source row"):
        net.fit(X, np.full(len(X), np.nan), sample_domain=sd)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        net.fit(X_nan, y, sample_domain=sd)
    with pytest.raises(ValueError, match="holds class labels"):
        net.fit(X, np.array(["a", "b"] * (len(X) // 2)), sample_domain=sd)
    partial = np.c_[y, y]
    partial[0, 1] = np.nan
    with pytest.raises(ValueError, match="some outputs but not all"):
        net.fit(X, partial, sample_domain=sd)
    with pytest.raises(ValueError, match="contains infinity"):
        net.fit(X, np.where(np.isnan(y), np.nan, np.inf), sample_domain=sd)
    net.fit(X, y, sample_domain=sd)
    with pytest.raises(ValueError, match="X has 3 features"):
        net.predict(X[:, :3])
    with pytest.raises(ValueError, match="must return 1 per row"):
        wrong = DomainNetRegressor(module=torch.nn.Linear(4, 2), device="cpu")
        wrong.fit(X, y_true)

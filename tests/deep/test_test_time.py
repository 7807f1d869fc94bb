"""Test-time adaptation of batch norm: AdaBN and TENT (BatchNormAdapter)."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from sktransfer.deep import MLP, DomainNetClassifier, SmallCNN
from sktransfer.deep._test_time import (
    BatchNormAdapter,
    adapt_batch_norm,
    batch_norm_layers,
)

N_FEATURES = 8


def _entropy(proba):
    return float(-(proba * np.log(np.clip(proba, 1e-12, 1))).sum(axis=1).mean())


def _net(**params):
    return DomainNetClassifier(
        **{
            "module__batch_norm": True,
            "module__hidden_units": (32,),
            "max_epochs": 20,
            "random_state": 0,
            "device": "cpu",
            **params,
        }
    )


@pytest.fixture(scope="module")
def task():
    """A source task and its target: the same rows with other input statistics.

    The target's inputs are scaled by 2 and offset by a random shift per
    feature (a miscalibrated sensor): the labels do not change.
    """
    X, y = make_classification(
        512,
        N_FEATURES,
        n_informative=6,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=1.5,
        random_state=2,
    )
    X = X.astype(np.float32)
    offset = np.random.RandomState(0).normal(0, 3, N_FEATURES).astype(np.float32)
    Xs, ys, Xt_clean, yt = X[:256], y[:256], X[256:], y[256:]
    return Xs, ys, 2 * Xt_clean + offset, yt, Xt_clean


@pytest.fixture(scope="module")
def source_net(task):
    Xs, ys, *_ = task
    return _net().fit(Xs, ys)


def _state(net):
    return {k: v.clone() for k, v in net.module_.state_dict().items()}


# --- what the methods do ------------------------------------------------------


def test_adabn_recovers_the_accuracy_lost_to_the_shift(task, source_net):
    _, _, Xt, yt, Xt_clean = task
    clean = source_net.score(Xt_clean, yt)
    unadapted = source_net.score(Xt, yt)
    adapted = BatchNormAdapter(source_net, method="adabn").fit(Xt)
    # measured: clean 0.934, unadapted 0.664, AdaBN 0.898
    assert unadapted < clean - 0.2
    assert adapted.score(Xt, yt) > unadapted + 0.2
    assert adapted.score(Xt, yt) > clean - 0.06
    assert adapted.n_adapted_layers_ == 1


def test_adabn_undoes_an_affine_shift_exactly(task, source_net):
    # batch norm after a linear layer cancels an affine map of the inputs
    # (by a positive factor), once its statistics are the target's
    _, _, Xt, _, Xt_clean = task
    on_clean = BatchNormAdapter(source_net, method="adabn", random_state=0)
    on_shifted = BatchNormAdapter(source_net, method="adabn", random_state=0)
    np.testing.assert_allclose(
        on_shifted.fit(Xt).predict_proba(Xt),
        on_clean.fit(Xt_clean).predict_proba(Xt_clean),
        atol=1e-3,
    )


def test_adabn_statistics_are_the_target_statistics(task, source_net):
    _, _, Xt, _, _ = task
    adapted = BatchNormAdapter(source_net, method="adabn", batch_size=64).fit(Xt)
    linear = adapted.estimator_.module_.features[1]
    with torch.no_grad():
        hidden = linear(torch.from_numpy(Xt)).numpy()
    bn = batch_norm_layers(adapted.estimator_.module_)[0]
    # a cumulative average over 4 batches of 64 rows: the mean of the rows,
    # the mean of the batches' unbiased variances
    np.testing.assert_allclose(bn.running_mean.numpy(), hidden.mean(0), atol=1e-4)
    np.testing.assert_allclose(bn.running_var.numpy(), hidden.var(0, ddof=1), rtol=0.1)
    assert bn.momentum == 0.1  # restored after the cumulative pass


def test_reset_stats_false_moves_the_source_statistics(task, source_net):
    _, _, Xt, _, _ = task
    before = batch_norm_layers(source_net.module_)[0].running_mean.clone()
    reset = BatchNormAdapter(source_net, method="adabn").fit(Xt)
    moved = BatchNormAdapter(source_net, method="adabn", reset_stats=False).fit(Xt)
    target = batch_norm_layers(reset.estimator_.module_)[0].running_mean
    partial = batch_norm_layers(moved.estimator_.module_)[0].running_mean
    # 4 batches with momentum 0.1: 1 - 0.9 ** 4 of the way to the target
    share = float((partial - before).norm() / (target - before).norm())
    assert 0.2 < share < 0.5


def test_tent_lowers_the_entropy_and_keeps_the_accuracy(task, source_net):
    _, _, Xt, yt, _ = task
    adabn = BatchNormAdapter(source_net, method="adabn", random_state=0).fit(Xt)
    tent = BatchNormAdapter(
        source_net, method="tent", steps=10, lr=1e-2, random_state=0
    ).fit(Xt)
    # TENT starts from the target batch statistics, AdaBN's normalisation;
    # measured: accuracy 0.664 unadapted, 0.898 AdaBN, 0.906 TENT
    assert _entropy(tent.predict_proba(Xt)) < _entropy(adabn.predict_proba(Xt)) - 0.1
    assert tent.score(Xt, yt) > adabn.score(Xt, yt) - 0.03
    assert tent.score(Xt, yt) > source_net.score(Xt, yt) + 0.2


def test_tent_trains_only_the_batch_norm_affine_parameters(task, source_net):
    _, _, Xt, _, _ = task
    before = _state(source_net)
    tent = BatchNormAdapter(source_net, steps=3, lr=1e-2, reset_stats=False)
    after = _state(tent.fit(Xt).estimator_)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert {"features.2.weight", "features.2.bias"} <= changed
    assert changed <= {
        "features.2.weight",
        "features.2.bias",
        "features.2.running_mean",
        "features.2.running_var",
        "features.2.num_batches_tracked",
    }
    module = tent.estimator_.module_
    assert all(p.requires_grad for p in module.parameters())
    # the modes are restored: no layer is left alone in training mode
    assert len({m.training for m in module.modules()}) == 1


def test_original_estimator_is_left_unchanged(task, source_net):
    _, _, Xt, _, _ = task
    before, proba = _state(source_net), source_net.predict_proba(Xt)
    for method in ("adabn", "tent"):
        BatchNormAdapter(source_net, method=method, steps=2).fit(Xt)
    after = _state(source_net)
    assert all(torch.equal(before[k], after[k]) for k in before)
    np.testing.assert_array_equal(source_net.predict_proba(Xt), proba)


def test_no_source_row_is_needed(task, source_net):
    Xs, _, Xt, yt, _ = task
    on_target = BatchNormAdapter(source_net, random_state=0).fit(Xt)
    # with sample_domain, only the target rows are used; y is ignored
    X = np.concatenate([Xs, Xt])
    sd = np.r_[np.ones(len(Xs), int), -np.ones(len(Xt), int)]
    y = np.r_[np.zeros(len(Xs), int), -np.ones(len(Xt), int)]
    mixed = BatchNormAdapter(source_net, random_state=0).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(mixed.predict_proba(Xt), on_target.predict_proba(Xt))
    np.testing.assert_array_equal(on_target.classes_, source_net.classes_)
    assert on_target.n_features_in_ == N_FEATURES
    # no target row: the network as it is
    none = BatchNormAdapter(source_net).fit(Xs, sample_domain=np.ones(len(Xs), int))
    assert none.n_adapted_layers_ == 0
    np.testing.assert_array_equal(none.predict_proba(Xt), source_net.predict_proba(Xt))


def test_unfitted_estimator_is_fitted_on_labeled_rows_then_adapted(task):
    Xs, ys, Xt, yt, _ = task
    X = np.concatenate([Xs, Xt])
    sd = np.r_[np.ones(len(Xs), int), -np.ones(len(Xt), int)]
    y = np.r_[ys, -np.ones(len(Xt), int)]
    adapter = BatchNormAdapter(_net(), method="adabn")
    adapter.fit(X, y, sample_domain=sd)
    assert adapter.n_adapted_layers_ == 1
    source_only = _net().fit(Xs, ys)
    assert adapter.score(Xt, yt) > source_only.score(Xt, yt) + 0.2
    # without target rows it is the plain network
    plain = BatchNormAdapter(_net()).fit(Xs, ys)
    np.testing.assert_array_equal(
        plain.predict_proba(Xt), source_only.predict_proba(Xt)
    )
    assert plain.n_adapted_layers_ == 0


def test_default_estimator_and_seed(task):
    Xs, ys, Xt, _, _ = task
    X = np.concatenate([Xs[:64], Xt[:64]])
    y = np.r_[ys[:64], -np.ones(64, int)]
    sd = np.r_[np.ones(64, int), -np.ones(64, int)]
    first = BatchNormAdapter(random_state=3).fit(X, y, sample_domain=sd)
    second = BatchNormAdapter(random_state=3).fit(X, y, sample_domain=sd)
    assert isinstance(first.estimator_, DomainNetClassifier)
    assert first.n_adapted_layers_ == 1
    np.testing.assert_array_equal(first.predict_proba(Xt), second.predict_proba(Xt))


def test_adaptation_does_not_use_dropout(task):
    Xs, ys, Xt, _, _ = task
    net = _net(module__hidden_units=(32, 32), module__dropout=0.5).fit(Xs, ys)
    outputs = []
    for torch_seed in (0, 1):
        torch.manual_seed(torch_seed)
        outputs.append(
            BatchNormAdapter(net, method="adabn", random_state=0)
            .fit(Xt)
            .predict_proba(Xt)
        )
    np.testing.assert_array_equal(*outputs)


def test_frozen_estimator_survives_clone(task, source_net):
    _, _, Xt, _, _ = task
    adapter = clone(BatchNormAdapter(FrozenEstimator(source_net), random_state=0))
    expected = BatchNormAdapter(source_net, random_state=0).fit(Xt)
    np.testing.assert_array_equal(
        adapter.fit(Xt).predict_proba(Xt), expected.predict_proba(Xt)
    )


def test_pickle_round_trip(task, source_net):
    _, _, Xt, _, _ = task
    adapter = BatchNormAdapter(source_net, steps=2, random_state=0).fit(Xt)
    restored = pickle.loads(pickle.dumps(adapter))
    np.testing.assert_array_equal(restored.predict_proba(Xt), adapter.predict_proba(Xt))


def test_images_with_small_cnn():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(96, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(int)
    net = DomainNetClassifier(
        module__batch_norm=True,
        module__channels=(4,),
        module__hidden_units=16,
        max_epochs=2,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert isinstance(net.module_, SmallCNN)
    adapter = BatchNormAdapter(net, random_state=0).fit(0.5 * X + 0.25)
    assert adapter.n_adapted_layers_ == 3  # two convolutions and the features
    assert adapter.predict(X).shape == (96,)


# --- the modules' batch norm ----------------------------------------------------


def test_batch_norm_modules_take_one_row_in_training():
    mlp = MLP(4, 3, hidden_units=(8,), batch_norm=True).train()
    assert mlp(torch.ones(1, 4)).shape == (1, 3)
    cnn = SmallCNN(1, 3, batch_norm=True).train()
    assert cnn(torch.ones(1, 1, 2, 2)).shape == (1, 3)
    # a last training batch of one row (65 rows, batches of 64)
    X = np.random.RandomState(0).normal(size=(65, 4)).astype(np.float32)
    net = DomainNetClassifier(module__batch_norm=True, max_epochs=1, device="cpu")
    net.fit(X, (X[:, 0] > 0).astype(int))
    assert len(batch_norm_layers(net.module_)) == 1
    assert not batch_norm_layers(MLP(4, 3))


# --- errors -----------------------------------------------------------------------


def test_network_without_batch_norm_is_refused(task):
    Xs, ys, Xt, _, _ = task
    plain = DomainNetClassifier(max_epochs=1, device="cpu").fit(Xs, ys)
    with pytest.raises(
        ValueError, match=r"has none in its module MLP.*batch_norm=True"
    ):
        BatchNormAdapter(plain).fit(Xt)
    # an unfitted default network: refused before training
    with pytest.raises(ValueError, match="default module.*module__batch_norm=True"):
        BatchNormAdapter(DomainNetClassifier(max_epochs=1)).fit(Xs, ys)
    with pytest.raises(ValueError, match="has none"):
        adapt_batch_norm(MLP(N_FEATURES, 3), Xt)


def test_tent_needs_affine_parameters(task):
    _, _, Xt, _, _ = task
    module = torch.nn.Sequential(
        torch.nn.Linear(N_FEATURES, 4), torch.nn.BatchNorm1d(4, affine=False)
    )
    with pytest.raises(ValueError, match="affine=False.*adabn"):
        adapt_batch_norm(module, Xt, method="tent")
    adapt_batch_norm(module, Xt, method="adabn")


def test_other_estimators_are_refused(task):
    Xs, ys, Xt, _, _ = task
    for estimator in (LogisticRegression(), LogisticRegression().fit(Xs, ys)):
        with pytest.raises(TypeError, match="deep classifier of sktransfer.deep"):
            BatchNormAdapter(estimator).fit(Xs, ys)


def test_bad_input(task, source_net):
    Xs, ys, Xt, _, _ = task
    nan = Xt.copy()
    nan[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        BatchNormAdapter(source_net).fit(nan)
    with pytest.raises(ValueError, match="X has 7 features"):
        BatchNormAdapter(source_net).fit(Xt[:, :7])
    adapter = BatchNormAdapter(source_net).fit(Xt)
    with pytest.raises(ValueError, match="X has 7 features"):
        adapter.predict(Xt[:, :7])
    with pytest.raises(ValueError, match="at least 2 of them, got 1"):
        BatchNormAdapter(source_net).fit(Xt[:1])
    with pytest.raises(ValueError, match="at least 2 rows"):
        adapt_batch_norm(source_net.module_, Xt[:1])
    with pytest.raises(ValueError, match="'method' parameter"):
        BatchNormAdapter(source_net, method="bn").fit(Xt)
    with pytest.raises(ValueError, match="requires y.*a fitted estimator needs no y"):
        BatchNormAdapter(_net()).fit(Xs)
    # clone() unfits the network passed in
    with pytest.raises(ValueError, match="FrozenEstimator"):
        clone(BatchNormAdapter(source_net)).fit(Xt)
    with pytest.raises(ValueError, match="every row is an unlabeled target row"):
        BatchNormAdapter(_net()).fit(
            Xt, -np.ones(len(Xt), int), sample_domain=-np.ones(len(Xt), int)
        )
    with pytest.raises(ValueError, match="method must be"):
        adapt_batch_norm(source_net.module_, Xt, method="bn")

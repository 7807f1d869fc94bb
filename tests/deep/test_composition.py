"""Domain-balanced batches and the ``regularizers`` added to any alignment loss."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import DANNClassifier, DeepCORALClassifier
from sktransfer.deep._base import _DomainBalancedBatches
from sktransfer.model_selection import TargetKFold
from sktransfer.utils import hide_target_labels


@pytest.fixture(scope="module")
def shifted():
    X, y, sd = make_domain_shift(150, 150, random_state=0)
    return X.astype(np.float32), y, sd


class _BatchDomains(Callback):
    """Records the number of target rows of every training batch."""

    def initialize(self):
        self.n_target_, self.sizes_ = [], []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            domains = np.asarray(batch[0]["sample_domain"])
            self.n_target_.append(int((domains < 0).sum()))
            self.sizes_.append(len(domains))


def test_balanced_batches_hold_half_of_each_domain():
    sample_domain = np.r_[np.ones(100, int), -np.ones(20, int)]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        batches = list(_DomainBalancedBatches(sample_domain, 20))
    assert len(batches) == 6  # as many as 120 shuffled rows make
    drawn = torch.cat(batches).numpy()
    for index in batches:
        index = index.numpy()
        assert len(np.unique(index)) == len(index) == 20
        assert (sample_domain[index] < 0).sum() == 10
    # the larger domain: distinct rows; the smaller one: every row three times
    source = drawn[sample_domain[drawn] > 0]
    assert len(np.unique(source)) == len(source) == 60
    target_counts = np.bincount(drawn[sample_domain[drawn] < 0] - 100)
    assert target_counts.tolist() == [3] * 20


def test_balanced_batches_with_a_domain_smaller_than_its_share():
    sample_domain = np.r_[np.ones(50, int), -np.ones(3, int)]
    for index in _DomainBalancedBatches(sample_domain, 16):
        index = index.numpy()
        assert len(np.unique(index)) == len(index)
        assert (sample_domain[index] < 0).sum() == 3
        assert (sample_domain[index] > 0).sum() == 8


@pytest.mark.parametrize("balanced", [True, False])
def test_training_batches_follow_balanced_batches(shifted, balanced):
    X, y, sd = shifted
    sd = np.where(np.arange(len(sd)) % 5 == 0, -1, 1)  # a target of 1 row in 5
    record = _BatchDomains()
    net = DANNClassifier(
        max_epochs=2,
        batch_size=32,
        balanced_batches=balanced,
        callbacks=[("record", record)],
        random_state=0,
        device="cpu",
    ).fit(X, hide_target_labels(y, sd), sample_domain=sd)
    recorded = dict(net.callbacks_)["record"]
    n_target = np.array(recorded.n_target_)
    assert len(n_target) == 2 * int(np.ceil(len(X) / 32))
    if balanced:
        assert (n_target == 16).all()
    else:
        assert n_target.mean() == pytest.approx(32 / 5, abs=2)


def test_source_only_fit_ignores_balanced_batches(shifted):
    X, y, _ = shifted
    proba = [
        DANNClassifier(
            max_epochs=2, balanced_batches=balanced, random_state=0, device="cpu"
        )
        .fit(X, y)
        .predict_proba(X)
        for balanced in (True, False)
    ]
    np.testing.assert_array_equal(*proba)


class _CountingTerm:
    """A term of one's own: pulls the target logits towards zero, counts calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, logits, features, sample_domain):
        self.calls += 1
        return (logits[sample_domain < 0] ** 2).mean()


def test_a_term_of_ones_own_is_added_to_the_loss(shifted):
    X, y, sd = shifted
    y_train = hide_target_labels(y, sd)
    term = _CountingTerm()
    plain = DeepCORALClassifier(max_epochs=2, random_state=0, device="cpu")
    plain.fit(X, y_train, sample_domain=sd)
    regularized = clone(plain).set_params(regularizers={"shrink": (term, 50.0)})
    regularized.fit(X, y_train, sample_domain=sd)
    assert regularized.regularizers_[0][0] == "shrink"
    fitted_term = regularized.regularizers_[0][1]
    assert fitted_term.calls == 2 * int(np.ceil(len(X) / 64))
    # a heavy pull on the target logits makes them smaller than without it
    target = X[sd < 0]
    size = [np.abs(net.forward(target).numpy()).mean() for net in (plain, regularized)]
    assert size[1] < 0.75 * size[0]


def test_a_zero_weight_is_no_term(shifted):
    X, y, sd = shifted
    y_train = hide_target_labels(y, sd)
    nets = [
        DANNClassifier(max_epochs=2, random_state=0, device="cpu", regularizers=reg)
        for reg in (None, {"own": (_CountingTerm(), 0.0)})
    ]
    proba = [net.fit(X, y_train, sample_domain=sd).predict_proba(X) for net in nets]
    np.testing.assert_allclose(*proba, atol=1e-6)


def test_regularizers_weight_is_a_parameter():
    net = DANNClassifier(regularizers={"own": (_CountingTerm(), 1.0)})
    net.set_params(regularizers__own=0.25)
    assert net.get_params()["regularizers__own"] == 0.25
    copy = clone(net)
    assert copy.get_params()["regularizers__own"] == 0.25
    assert copy._resolve_regularizers()[0][2] == 0.25


def test_grid_search_tunes_a_regularizer_weight(shifted):
    X, y, sd = shifted
    y_train = hide_target_labels(y, sd)
    labeled = np.flatnonzero(sd < 0)[:30]
    y_train[labeled] = y[labeled]
    net = DANNClassifier(
        max_epochs=1,
        random_state=0,
        device="cpu",
        regularizers={"own": (_CountingTerm(), 1.0)},
    )
    search = GridSearchCV(
        net, {"regularizers__own": [0.0, 2.0]}, cv=TargetKFold(n_splits=2)
    ).fit(X, y_train, groups=sd, sample_domain=sd)
    assert search.cv_results_["param_regularizers__own"].tolist() == [0.0, 2.0]
    assert search.best_estimator_.regularizers_[0][2] in (0.0, 2.0)


@pytest.mark.parametrize(
    "regularizers, error, match",
    [
        ({"nonsense": 1.0}, ValueError, "unknown term 'nonsense'.*known terms"),
        ({"own": (_CountingTerm(), -1.0)}, ValueError, "non-negative number"),
        ({"own": (_CountingTerm(), "1")}, ValueError, "non-negative number"),
        ({"own": ("not callable", 1.0)}, TypeError, "must be callable"),
    ],
)
def test_bad_regularizers_are_named(shifted, regularizers, error, match):
    X, y, sd = shifted
    net = DANNClassifier(max_epochs=1, device="cpu", regularizers=regularizers)
    with pytest.raises(error, match=match):
        net.fit(X, hide_target_labels(y, sd), sample_domain=sd)


def test_regularized_net_pickles(shifted):
    X, y, sd = shifted
    net = DANNClassifier(
        max_epochs=1,
        random_state=0,
        device="cpu",
        regularizers={"own": (_CountingTerm(), 1.0)},
    ).fit(X, hide_target_labels(y, sd), sample_domain=sd)
    loaded = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))

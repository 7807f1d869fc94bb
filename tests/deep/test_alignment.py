import numpy as np
import pytest
import torch

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import CDANClassifier, DeepCORALClassifier, coral_loss
from sktransfer.utils import hide_target_labels


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # these networks are tiny: threads only add contention on a busy machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _data(seed=0):
    X, y, sd = make_domain_shift(100, 100, random_state=seed)
    return X.astype(np.float32), hide_target_labels(y, sd), sd, y


def test_coral_loss_zero_on_equal_covariances_and_positive_otherwise():
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    assert float(coral_loss(x, x + 5)) == pytest.approx(0.0, abs=1e-6)
    assert float(coral_loss(x, 2 * x)) > 0


@pytest.mark.parametrize("cls", [DeepCORALClassifier, CDANClassifier])
def test_fit_predict_same_seed_and_plain_path(cls):
    X, y, sd, y_true = _data()
    first = cls(max_epochs=2, random_state=0, device="cpu").fit(X, y, sample_domain=sd)
    second = cls(max_epochs=2, random_state=0, device="cpu").fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.adapt_
    assert not cls(max_epochs=1, device="cpu").fit(X, y_true).adapt_
    with pytest.raises(ValueError, match="needs source rows"):
        cls(max_epochs=1).fit(X[sd < 0], y_true[sd < 0], sample_domain=sd[sd < 0])


def test_deep_coral_bad_layer():
    X, y, sd, _ = _data()
    with pytest.raises(ValueError, match="'layer' parameter of DeepCORALClassifier"):
        DeepCORALClassifier(layer="fc8", max_epochs=1).fit(X, y, sample_domain=sd)


def test_cdan_domain_classifier_sees_the_multilinear_map():
    X, y, sd, _ = _data()
    net = CDANClassifier(max_epochs=1, random_state=0, device="cpu")
    net.fit(X, y, sample_domain=sd)
    assert net.domain_classifier_.features[1].in_features == 2 * net.n_features_out_
    with pytest.raises(ValueError, match="cannot take its input of 200 values"):
        CDANClassifier(max_epochs=1, domain_classifier=torch.nn.Linear(100, 1)).fit(
            X, y, sample_domain=sd
        )

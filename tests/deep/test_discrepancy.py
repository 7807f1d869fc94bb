"""DAN, JAN, MCC, BNM, SHOT-IM, MDD, their losses, and CDAN's randomized map.

The accuracy tests compare target accuracies averaged over network seeds, on
two toy tasks from ``make_domain_shift(random_state=0)``:

* the default covariate shift (200 + 200 rows), where a network trained on
  the source alone is already close to one trained on the target (0.91
  against 0.92): the target losses (MCC, IM) and JAN still gain about two
  points; DAN, BNM and MDD do not gain there;
* test_dann's task: no shift in the class rule, the target offset by 2 in
  two class-free features, which the network need not keep. The
  discrepancies (DAN, JAN) and MDD remove it and gain 9 to 13 points; the
  target losses, which cannot move the target's features, lose a little.
"""

import pickle

import numpy as np
import pytest
import torch

from sktransfer.datasets import make_domain_shift
from sktransfer.deep import CDANClassifier, coral_loss
from sktransfer.deep._alignment import _RandomizedMultilinearMap
from sktransfer.deep._discrepancy import (
    BNMClassifier,
    DANClassifier,
    InformationMaximizationClassifier,
    JANClassifier,
    MCCClassifier,
)
from sktransfer.deep._losses import (
    REGULARIZERS,
    bnm_loss,
    entropy_loss,
    information_maximization_loss,
    joint_mmd_loss,
    mcc_loss,
    mk_mmd_loss,
)
from sktransfer.deep._mdd import MDDClassifier
from sktransfer.utils import hide_target_labels

NEW_CLASSES = [
    DANClassifier,
    JANClassifier,
    MCCClassifier,
    BNMClassifier,
    InformationMaximizationClassifier,
    MDDClassifier,
]
WEIGHTS = {
    DANClassifier: "mmd_weight",
    JANClassifier: "jmmd_weight",
    MCCClassifier: "mcc_weight",
    BNMClassifier: "bnm_weight",
    InformationMaximizationClassifier: "im_weight",
    MDDClassifier: "trade_off",
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # these networks are tiny: threads only add contention on a busy machine
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _small(seed=0):
    X, y, sd = make_domain_shift(100, 100, random_state=seed)
    return X.astype(np.float32), hide_target_labels(y, sd), sd, y


def _covariate_task():
    X, y, sd = make_domain_shift(random_state=0)
    return X.astype(np.float32), y, sd


def _offset_task():
    # test_dann's task: the class rule is shared, the target is offset by 2 in
    # the two class-free features
    X, y, sd = make_domain_shift(100, 100, n_features=4, severity=0.0, random_state=0)
    X = X.astype(np.float32)
    X[sd < 0, 2:] += 2.0
    return X, y, sd


def _target_accuracies(cls, task, seeds, **params):
    """Mean target accuracy of the source-only net and of the adapted one."""
    X, y, sd = task()
    target = sd < 0
    source_only, adapted = [], []
    for seed in seeds:
        kwargs = dict(device="cpu", random_state=seed, **params)
        plain = cls(**kwargs).fit(X[~target], y[~target])  # sample_domain=None
        net = cls(**kwargs).fit(X, hide_target_labels(y, sd), sample_domain=sd)
        source_only.append((plain.predict(X[target]) == y[target]).mean())
        adapted.append((net.predict(X[target]) == y[target]).mean())
    return _f(np.mean(source_only)), _f(np.mean(adapted))


def _f(value):
    """A number from a scalar tensor (detached) or a numpy number."""
    return float(value.detach() if isinstance(value, torch.Tensor) else value)


def _t(values):
    return torch.as_tensor(np.asarray(values), dtype=torch.float32)


# --- losses ---------------------------------------------------------------------


def _dan_reference(source, target, kernel_mul=2.0, kernel_num=5):
    # DAN's reference code (guassian_kernel + mmd_rbf_noaccelerate), equal sizes
    n = source.shape[0] + target.shape[0]
    total = torch.cat([source, target])
    distances = ((total[None] - total[:, None]) ** 2).sum(2)
    bandwidth = distances.sum() / (n**2 - n) / kernel_mul ** (kernel_num // 2)
    kernels = sum(
        torch.exp(-distances / (bandwidth * kernel_mul**i)) for i in range(kernel_num)
    )
    b = source.shape[0]
    xx, yy = kernels[:b, :b], kernels[b:, b:]
    return (xx + yy - kernels[:b, b:] - kernels[b:, :b]).mean()


@pytest.mark.parametrize("linear", [False, True])
def test_mk_mmd_zero_for_same_rows_small_for_same_law_large_when_shifted(linear):
    g = torch.Generator().manual_seed(0)
    x, other = torch.randn(80, 4, generator=g), torch.randn(60, 4, generator=g)
    assert _f(mk_mmd_loss(x, x, linear=linear)) == pytest.approx(0.0, abs=1e-6)
    same_law = abs(_f(mk_mmd_loss(x, other, linear=linear)))
    shifted = _f(mk_mmd_loss(x, other + 1.5, linear=linear))
    assert shifted > 0.5 and shifted > 4 * same_law


def test_mk_mmd_matches_dan_reference_code_and_gradient_flows():
    g = torch.Generator().manual_seed(1)
    source = torch.randn(32, 5, generator=g)
    target = (torch.randn(32, 5, generator=g) + 0.7).requires_grad_(True)
    loss = mk_mmd_loss(source, target)
    reference = _f(_dan_reference(source, target.detach()))
    assert _f(loss) == pytest.approx(reference, 1e-5)
    loss.backward()
    assert torch.isfinite(target.grad).all() and _f(target.grad.abs().sum()) > 0
    # the gradient pulls the target towards the source
    moved = target.detach() - 0.1 * target.grad / target.grad.norm()
    assert _f(mk_mmd_loss(source, moved)) < _f(loss)


def test_mk_mmd_of_constant_rows_is_finite():
    x = torch.ones(5, 3, requires_grad=True)
    loss = mk_mmd_loss(x, x.detach().clone())
    loss.backward()
    assert _f(loss) == 0.0 and torch.isfinite(x.grad).all()


def test_joint_mmd_one_layer_is_mk_mmd_and_sees_a_shift_in_any_layer():
    g = torch.Generator().manual_seed(2)
    f_s, f_t = torch.randn(50, 6, generator=g), torch.randn(50, 6, generator=g)
    p_s = torch.softmax(torch.randn(50, 3, generator=g), 1)
    p_t = torch.softmax(torch.randn(50, 3, generator=g), 1)
    one = joint_mmd_loss([f_s], [f_t + 1], kernel_num=5, bandwidth=None)
    assert _f(one) == pytest.approx(_f(mk_mmd_loss(f_s, f_t + 1)))
    same = _f(joint_mmd_loss([f_s, p_s], [f_t, p_t]))
    # the classes shifted, the features not: only the joint law differs
    p_shifted = torch.softmax(torch.log(p_t) + torch.tensor([4.0, 0.0, 0.0]), 1)
    assert _f(joint_mmd_loss([f_s, p_s], [f_t, p_shifted])) > 3 * same
    assert _f(joint_mmd_loss([f_s, p_s], [f_t + 2, p_t])) > 3 * same
    f_t = f_t.requires_grad_(True)
    joint_mmd_loss([f_s, p_s], [f_t + 1, p_t], linear=True).backward()
    assert _f(f_t.grad.abs().sum()) > 0


def test_mmd_bad_input():
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="kernel_num must be a positive integer"):
        mk_mmd_loss(x, x, kernel_num=0)
    with pytest.raises(ValueError, match="kernel_mul must be a positive number"):
        mk_mmd_loss(x, x, kernel_mul=-2.0)
    with pytest.raises(ValueError, match="2 source columns but 3 target columns"):
        mk_mmd_loss(x, torch.zeros(4, 3))
    with pytest.raises(ValueError, match="two source and two target rows"):
        mk_mmd_loss(x, x[:1], linear=True)
    with pytest.raises(ValueError, match="kernel_num has 3 values"):
        joint_mmd_loss([x, x], [x, x], kernel_num=(5, 1, 1))
    with pytest.raises(ValueError, match="same rows"):
        joint_mmd_loss([x, x[:3]], [x, x])


def _mcc_reference(logits, temperature=2.5):
    # Transfer-Learning-Library's MinimumClassConfusionLoss
    n, c = logits.shape
    p = torch.softmax(logits / temperature, 1)
    h = -(p * torch.log(p + 1e-5)).sum(1).detach()
    w = 1 + torch.exp(-h)
    w = (n * w / w.sum()).unsqueeze(1)
    confusion = (p * w).T @ p
    confusion = confusion / confusion.sum(dim=1)
    return (confusion.sum() - torch.trace(confusion)) / c


def test_target_losses_are_minimal_on_confident_diverse_predictions():
    confident = _t([[20, 0, 0], [0, 20, 0], [0, 0, 20], [20, 0, 0]])
    collapsed = _t([[20, 0, 0]] * 4)
    uniform = torch.zeros(4, 3)
    assert _f(mcc_loss(confident, temperature=1.0)) == pytest.approx(0, abs=1e-6)
    assert _f(mcc_loss(uniform)) == pytest.approx(2 / 3)
    assert _f(bnm_loss(confident)) < _f(bnm_loss(collapsed))
    assert _f(bnm_loss(confident)) < _f(bnm_loss(uniform))
    im = information_maximization_loss
    assert _f(im(confident)) < _f(im(collapsed)) - 0.5
    assert _f(im(collapsed)) == pytest.approx(0, abs=1e-6)
    assert _f(entropy_loss(uniform)) == pytest.approx(np.log(3))
    assert _f(entropy_loss(collapsed)) == pytest.approx(0, abs=1e-6)
    # entropy cannot tell a collapse from diverse confident predictions; IM can
    assert _f(entropy_loss(collapsed)) == pytest.approx(
        _f(entropy_loss(confident)), abs=1e-6
    )
    assert _f(im(uniform, diversity_weight=0.0)) == pytest.approx(np.log(3))


@pytest.mark.parametrize(
    "loss", [mcc_loss, bnm_loss, information_maximization_loss, entropy_loss]
)
def test_target_losses_are_scalars_with_gradients(loss):
    logits = torch.randn(16, 4, generator=torch.Generator().manual_seed(3))
    logits.requires_grad_(True)
    value = loss(logits)
    value.backward()
    assert value.ndim == 0
    assert torch.isfinite(logits.grad).all() and _f(logits.grad.abs().sum()) > 0


def test_mcc_matches_transfer_learning_library():
    logits = torch.randn(32, 5, generator=torch.Generator().manual_seed(4)) * 3
    assert _f(mcc_loss(logits)) == pytest.approx(_f(_mcc_reference(logits)), rel=1e-3)


def test_target_loss_bad_input():
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        mcc_loss(torch.zeros(3, 2), temperature=0)
    with pytest.raises(ValueError, match="temperature must be a positive number"):
        mcc_loss(torch.zeros(3, 2), temperature=-1.0)
    with pytest.raises(ValueError, match="diversity_weight must be a non-negative"):
        information_maximization_loss(torch.zeros(3, 2), diversity_weight=-1)
    with pytest.raises(ValueError, match="must be 2-d"):
        bnm_loss(torch.zeros(3))
    with pytest.raises(ValueError, match="has no row"):
        entropy_loss(torch.zeros(0, 2))


# --- the registry ---------------------------------------------------------------


def test_registry_names_and_scalar_terms_with_gradients():
    assert set(REGULARIZERS) == {"entropy", "mcc", "bnm", "im", "mmd", "jmmd", "coral"}
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(20, 3, generator=g, requires_grad=True)
    features = torch.randn(20, 6, generator=g, requires_grad=True)
    sample_domain = torch.tensor([1] * 10 + [-1] * 10)
    for name, term in REGULARIZERS.items():
        value = term(logits, features, sample_domain)
        assert isinstance(value, torch.Tensor) and value.ndim == 0, name
        assert value.requires_grad and torch.isfinite(value), name
    # the target terms see the target rows only
    target = sample_domain < 0
    assert _f(REGULARIZERS["mcc"](logits, features, sample_domain)) == (
        pytest.approx(_f(mcc_loss(logits[target])))
    )
    assert _f(REGULARIZERS["coral"](logits, features, sample_domain)) == (
        pytest.approx(_f(coral_loss(features[~target], features[target])))
    )
    assert repr(REGULARIZERS).startswith("{'entropy': <entropy term>")
    assert pickle.loads(pickle.dumps(REGULARIZERS["mcc"])) is REGULARIZERS["mcc"]


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_registry_terms_are_zero_with_too_few_rows(name):
    logits = torch.randn(3, 2, requires_grad=True)
    features = torch.randn(3, 4, requires_grad=True)
    term = REGULARIZERS[name]
    no_target = term(logits, features, torch.tensor([1, 1, 1]))
    assert _f(no_target) == 0.0 and no_target.requires_grad
    one_source = term(logits, features, torch.tensor([1, -1, -1]))
    if name in ("mmd", "jmmd", "coral"):
        assert _f(one_source) == 0.0 and one_source.requires_grad
    else:  # a term on the target rows needs no source row
        assert torch.isfinite(one_source)
    one_source.backward()


# --- the classifiers ------------------------------------------------------------


@pytest.mark.parametrize("cls", [MCCClassifier, InformationMaximizationClassifier])
def test_beats_source_only_under_covariate_shift(cls):
    # target accuracy over seeds 0-2, source-only 0.908: MCC 0.932, IM 0.933
    # (the same training with the term weighted 0: 0.915); JAN at weight 1
    # 0.930, at its default 0.1 with the schedule 0.917; DAN (0.895), BNM
    # (0.920) and MDD (0.887 against 0.833 and 0.887 weighted 0: the gain is
    # its schedule's) do not gain here
    source_only, adapted = _target_accuracies(
        cls, _covariate_task, seeds=(0, 1, 2), max_epochs=10, lr=1e-2
    )
    assert adapted > source_only + 0.01, (source_only, adapted)


@pytest.mark.parametrize("cls", [DANClassifier, JANClassifier])
def test_discrepancy_beats_source_only_on_offset_features(cls):
    # source-only 0.793 over seeds 0-2; DAN 0.880, JAN 0.897 (weighted 0:
    # 0.803). The target losses cannot undo the offset: MCC 0.783, BNM 0.763,
    # IM 0.757.
    # (measured at weight 1: this small task takes the full weight, which
    # collapses larger networks trained from scratch, hence the default 0.1)
    weight = {DANClassifier: "mmd_weight", JANClassifier: "jmmd_weight"}[cls]
    source_only, adapted = _target_accuracies(
        cls, _offset_task, seeds=(0, 1, 2), max_epochs=10, lr=1e-2, **{weight: 1.0}
    )
    assert adapted > source_only + 0.04, (source_only, adapted)


def test_mdd_beats_source_only_on_offset_features():
    # seeds 0-1: source-only 0.68 and 0.69, MDD 0.78 and 0.79 (weighted 0:
    # 0.64 and 0.69). With 100 hidden units or 10 epochs it gains nothing on
    # this task; with the reversal factor rising to 1 instead of the paper's
    # 0.1 it loses.
    source_only, adapted = _target_accuracies(
        MDDClassifier,
        _offset_task,
        seeds=(0, 1),
        max_epochs=30,
        lr=1e-2,
        batch_size=32,
        module__hidden_units=(16,),
    )
    assert adapted > source_only + 0.05, (source_only, adapted)


def test_dan_aligns_the_features():
    # under covariate shift DAN does not gain accuracy, but it does what it
    # optimises: the MMD between the domains' features drops (0.67 -> 0.20)
    X, y, sd = _covariate_task()
    target = sd < 0
    params = dict(max_epochs=10, lr=1e-2, mmd_weight=1.0, random_state=0, device="cpu")
    plain = DANClassifier(**params).fit(X[~target], y[~target])
    dan = DANClassifier(**params).fit(X, hide_target_labels(y, sd), sample_domain=sd)
    mmd = [
        _f(mk_mmd_loss(_t(f[~target]), _t(f[target])))
        for f in (plain.extract_features(X), dan.extract_features(X))
    ]
    assert mmd[1] < mmd[0] / 2, mmd


def test_bnm_raises_the_nuclear_norm_of_target_batches_and_keeps_accuracy():
    # BNM's gain under covariate shift is small (0.920 against 0.908 over seeds
    # 0-2, 0.915 with the term weighted 0): what it surely does is raise the
    # nuclear norm of the target predictions, batch by batch
    X, y, sd = _covariate_task()
    target = sd < 0
    params = dict(max_epochs=10, lr=1e-2, random_state=0, device="cpu")
    plain = BNMClassifier(**params).fit(X[~target], y[~target])
    bnm = BNMClassifier(**params).fit(X, hide_target_labels(y, sd), sample_domain=sd)

    def mean_bnm(net):
        logits = torch.log(_t(net.predict_proba(X[target])))
        return np.mean([_f(bnm_loss(batch)) for batch in logits.split(32)])

    assert mean_bnm(bnm) < mean_bnm(plain)
    accuracy = [(m.predict(X[target]) == y[target]).mean() for m in (plain, bnm)]
    assert accuracy[1] >= accuracy[0], accuracy


@pytest.mark.parametrize("cls", NEW_CLASSES)
def test_same_seed_same_model_pickle_and_plain_path(cls):
    X, y, sd, y_true = _small()
    first = cls(max_epochs=2, random_state=0, device="cpu").fit(X, y, sample_domain=sd)
    second = cls(max_epochs=2, random_state=0, device="cpu").fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict_proba(X), first.predict_proba(X))
    assert first.adapt_ and first.n_features_out_ == 100
    assert first.extract_features(X[:3]).shape == (3, 100)
    assert not cls(max_epochs=1, device="cpu").fit(X, y_true).adapt_
    with pytest.raises(ValueError, match="needs source rows"):
        cls(max_epochs=1).fit(X[sd < 0], y_true[sd < 0], sample_domain=sd[sd < 0])


@pytest.mark.parametrize("cls", NEW_CLASSES)
def test_weight_zero_is_the_source_trained_network(cls):
    # the term weighted 0 adds nothing: the same net as without it
    X, y, sd, _ = _small()
    params = dict(max_epochs=2, random_state=0, device="cpu")
    zero = cls(**params, **{WEIGHTS[cls]: 0.0}).fit(X, y, sample_domain=sd)
    other = cls(**params, **{WEIGHTS[cls]: 0.0}).fit(X, y, sample_domain=sd)
    adapted = cls(**params).fit(X, y, sample_domain=sd)
    np.testing.assert_array_equal(zero.predict_proba(X), other.predict_proba(X))
    assert not np.array_equal(zero.predict_proba(X), adapted.predict_proba(X))


@pytest.mark.parametrize(
    "cls, params, message",
    [
        (DANClassifier, {"mmd_weight": -1.0}, "'mmd_weight' parameter"),
        (DANClassifier, {"kernel_num": 0}, "'kernel_num' parameter"),
        (DANClassifier, {"kernel_mul": 0.0}, "'kernel_mul' parameter"),
        (DANClassifier, {"layer": "fc8"}, "'layer' parameter"),
        (DANClassifier, {"linear": "yes"}, "'linear' parameter"),
        (JANClassifier, {"jmmd_weight": -0.1}, "'jmmd_weight' parameter"),
        (MCCClassifier, {"mcc_weight": -1}, "'mcc_weight' parameter"),
        (MCCClassifier, {"temperature": 0.0}, "'temperature' parameter"),
        (MCCClassifier, {"temperature": -2.5}, "'temperature' parameter"),
        (BNMClassifier, {"bnm_weight": "a"}, "'bnm_weight' parameter"),
        (
            InformationMaximizationClassifier,
            {"diversity_weight": -1},
            "'diversity_weight' parameter",
        ),
        (InformationMaximizationClassifier, {"im_weight": -1}, "'im_weight'"),
        (MDDClassifier, {"margin": 0.0}, "'margin' parameter of MDDClassifier"),
        (MDDClassifier, {"trade_off": -1.0}, "'trade_off' parameter"),
        (CDANClassifier, {"randomized": "yes"}, "'randomized' parameter"),
        (CDANClassifier, {"randomized_dim": 0}, "'randomized_dim' parameter"),
    ],
)
def test_bad_parameters_are_clear_errors(cls, params, message):
    X, y, sd, _ = _small()
    with pytest.raises(ValueError, match=message):
        cls(max_epochs=1, device="cpu", **params).fit(X, y, sample_domain=sd)


# --- MDD --------------------------------------------------------------------------


def test_mdd_predicts_with_the_main_head_only():
    X, y, sd, _ = _small()
    net = MDDClassifier(max_epochs=3, random_state=0, device="cpu")
    net.fit(X, y, sample_domain=sd)
    proba = net.predict_proba(X)
    with torch.no_grad():
        main = torch.softmax(net.module_(_t(X)), dim=1).numpy()
        adversarial = net.adversarial_head_(net.module_.extract_features(_t(X)))
    np.testing.assert_allclose(proba, main, rtol=1e-5, atol=1e-6)
    assert not np.allclose(proba, torch.softmax(adversarial, 1).numpy(), atol=1e-3)
    with torch.no_grad():
        for p in net.adversarial_head_.parameters():
            p.add_(torch.randn_like(p))
    np.testing.assert_array_equal(net.predict_proba(X), proba)


def test_mdd_gradient_reaches_the_features_reversed_and_not_the_main_head():
    X, y, sd, _ = _small()
    net = MDDClassifier(max_epochs=2, random_state=0, device="cpu")
    net.fit(X, y, sample_domain=sd)
    assert net.adaptation_factor_ == pytest.approx(0.1, abs=1e-3)  # the paper's
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(8, 2, generator=g, requires_grad=True)
    features = torch.randn(8, 100, generator=g)
    domains = torch.tensor([1] * 4 + [-1] * 4)
    net.adaptation_factor_ = 0.7
    f = features.clone().requires_grad_(True)
    net.domain_loss(logits, f, domains).backward()
    reversed_grad = f.grad
    assert logits.grad is None  # the main head's predictions are constants

    # the same loss written out, without the reversal layer
    f = features.clone().requires_grad_(True)
    adversarial = net.adversarial_head_(f)
    predicted = logits.detach().argmax(1)
    source_term = torch.nn.functional.cross_entropy(adversarial[:4], predicted[:4])
    proba = torch.softmax(adversarial[4:], 1)[torch.arange(4), predicted[4:]]
    direct = net.trade_off * (net.margin * source_term - torch.log(1 - proba).mean())
    direct.backward()
    assert _f(f.grad.abs().sum()) > 0
    np.testing.assert_allclose(reversed_grad, -0.7 * f.grad, rtol=1e-4, atol=1e-7)


def test_mdd_adversarial_head_of_wrong_shape_is_an_error():
    X, y, sd, _ = _small()
    with pytest.raises(ValueError, match="adversarial_head of MDDClassifier cannot"):
        MDDClassifier(max_epochs=1, adversarial_head=torch.nn.Linear(7, 2)).fit(
            X, y, sample_domain=sd
        )
    with pytest.raises(ValueError, match="one logit per class"):
        MDDClassifier(max_epochs=1, adversarial_head=torch.nn.Linear(100, 3)).fit(
            X, y, sample_domain=sd
        )
    net = MDDClassifier(max_epochs=1, adversarial_head__hidden_units=(8,))
    net.fit(X, y, sample_domain=sd)
    assert net.adversarial_head_.head.in_features == 8


# --- CDAN's randomized multilinear map ------------------------------------------


def _cdan(**params):
    params.setdefault("max_epochs", 1)
    params.setdefault("random_state", 0)
    params.setdefault("device", "cpu")
    return CDANClassifier(**params)


def test_cdan_randomized_map_feeds_the_domain_classifier():
    X, y, sd, _ = _small()
    net = _cdan(randomized=True, randomized_dim=32).fit(X, y, sample_domain=sd)
    assert isinstance(net.randomized_map_, _RandomizedMultilinearMap)
    assert net.domain_classifier_.features[1].in_features == 32
    assert net.randomized_map_.feature_projection.shape == (100, 32)
    assert net.randomized_map_.class_projection.shape == (2, 32)
    assert not any(True for _ in net.randomized_map_.parameters())  # not trained
    features = torch.randn(4, 100)
    proba = torch.softmax(torch.randn(4, 2), 1)
    mapped = net.randomized_map_(features, proba)
    expected = (
        (features @ net.randomized_map_.feature_projection)
        * (proba @ net.randomized_map_.class_projection)
        / np.sqrt(32)
    )
    torch.testing.assert_close(mapped, expected)
    assert _cdan(randomized=False).fit(X, y, sample_domain=sd).randomized_map_ is None


def test_cdan_randomized_map_inner_products_approximate_the_outer_product():
    g = torch.Generator().manual_seed(0)
    f, p = torch.randn(2, 10, generator=g), torch.softmax(torch.randn(2, 3), 1)
    torch.manual_seed(0)
    mapping = _RandomizedMultilinearMap(10, 3, 20000)
    outer = torch.bmm(p.unsqueeze(2), f.unsqueeze(1)).flatten(1)
    mapped = mapping(f, p)
    assert _f(mapped[0] @ mapped[1]) == pytest.approx(
        _f(outer[0] @ outer[1]), abs=0.1 * _f(outer.norm(dim=1).prod())
    )


def test_cdan_randomized_map_is_drawn_from_the_seed_and_pickles():
    X, y, sd, _ = _small()
    first = _cdan(randomized=True, randomized_dim=16).fit(X, y, sample_domain=sd)
    again = _cdan(randomized=True, randomized_dim=16).fit(X, y, sample_domain=sd)
    other = _cdan(randomized=True, randomized_dim=16, random_state=1)
    other.fit(X, y, sample_domain=sd)
    torch.testing.assert_close(
        first.randomized_map_.feature_projection,
        again.randomized_map_.feature_projection,
    )
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert not torch.equal(
        first.randomized_map_.feature_projection,
        other.randomized_map_.feature_projection,
    )
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict(X), first.predict(X))
    torch.testing.assert_close(
        restored.randomized_map_.class_projection,
        first.randomized_map_.class_projection,
    )
    # further training goes on with the same map
    restored.partial_fit(X, y, sample_domain=sd)
    torch.testing.assert_close(
        restored.randomized_map_.feature_projection,
        first.randomized_map_.feature_projection,
    )


def test_cdan_auto_randomizes_beyond_4096_values():
    X, y, sd, _ = _small()
    # 2 classes x 2049 features = 4098 values > 4096
    wide = _cdan(module__hidden_units=(2049,), randomized_dim=64)
    wide.fit(X, y, sample_domain=sd)
    assert wide.randomized_map_ is not None
    assert wide.domain_classifier_.features[1].in_features == 64
    exact = _cdan(module__hidden_units=(2048,)).fit(X, y, sample_domain=sd)
    assert exact.randomized_map_ is None
    assert exact.domain_classifier_.features[1].in_features == 4096
    forced = _cdan(module__hidden_units=(2049,), randomized=False)
    forced.fit(X, y, sample_domain=sd)
    assert forced.domain_classifier_.features[1].in_features == 4098


def test_cdan_randomized_map_takes_no_parameters():
    X, y, sd, _ = _small()
    with pytest.raises(ValueError, match="takes no randomized_map__"):
        _cdan(randomized_map__dim=3).fit(X, y, sample_domain=sd)

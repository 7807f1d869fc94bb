"""Discrepancy-based and discriminator-free deep domain adaptation.

DAN and JAN align the domains with a kernel discrepancy between the source
and the target activations of each batch; MCC, BNM and SHOT's information
maximization need no second distribution at all: a loss on the predictions
of the target rows makes them confident and diverse. Each is one
``domain_loss`` on :class:`~sktransfer.deep.DomainAlignmentClassifier`, with
the losses of :mod:`sktransfer.deep._losses`.
"""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    _NON_NEGATIVE,
    DomainAlignmentClassifier,
    DomainAlignmentRegressor,
    _DomainAlignment,
)
from ._dann import AdaptationSchedule
from ._losses import (
    bnm_loss,
    information_maximization_loss,
    joint_mmd_loss,
    mcc_loss,
    mk_mmd_loss,
)

__all__ = [
    "BNMClassifier",
    "DANClassifier",
    "DANRegressor",
    "InformationMaximizationClassifier",
    "JANClassifier",
    "MCCClassifier",
]

_POSITIVE = Interval(Real, 0, None, closed="neither")


def _split(sample_domain):
    target = sample_domain < 0
    return ~target, target


def _zero(logits):
    return logits.sum() * 0.0


class _ProgressiveWeight:
    """The kernel term weighted by DANN's ``lambda_p``, rising from 0 to 1.

    On a network trained from scratch the MMD's gradient does not shrink
    with the features, as the label loss's does: from the first batch it can
    outweigh the label loss a hundredfold (Amazon reviews, 50 hidden units)
    and collapse the features to a single class. JAN's schedule (Long et
    al., 2017, after Ganin et al.) lets the label loss shape the features
    first; registered as ``"adaptation"`` (``callbacks__adaptation__gamma``).
    """

    @property
    def _default_callbacks(self):
        return [*super()._default_callbacks, ("adaptation", AdaptationSchedule())]

    def _progress(self):
        return getattr(self, "adaptation_factor_", 1.0)


class _DANMixin(_DomainAlignment):
    """DAN's loss, for :class:`DANClassifier` and :class:`DANRegressor`
    (which differ in the default weight and in its schedule)."""

    _parameter_constraints = {
        **_DomainAlignment._parameter_constraints,
        "mmd_weight": [_NON_NEGATIVE],
        "layer": [StrOptions({"features", "logits", "both"})],
        "kernel_mul": [_POSITIVE],
        "kernel_num": [Interval(Integral, 1, None, closed="left")],
        "linear": ["boolean"],
    }

    def _progress(self):
        return 1.0

    def domain_loss(self, logits, features, sample_domain):
        """``mmd_weight`` times the MK-MMD of the ``layer`` activations.

        With ``layer="both"``, the MMD of the features plus that of the
        logits (a regressor's outputs). Zero when a domain has fewer than two
        rows in the batch. Arguments as in
        :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        source, target = _split(sample_domain)
        if min(int(source.sum()), int(target.sum())) < 2:
            return _zero(logits)
        layers = {
            "features": (features,),
            "logits": (logits,),
            "both": (features, logits),
        }[self.layer]
        mmd = sum(
            mk_mmd_loss(
                layer[source],
                layer[target],
                kernel_mul=self.kernel_mul,
                kernel_num=int(self.kernel_num),
                linear=bool(self.linear),
            )
            for layer in layers
        )
        return self.mmd_weight * self._progress() * mmd


class DANClassifier(_ProgressiveWeight, _DANMixin, DomainAlignmentClassifier):
    """Deep adaptation network (DAN): multi-kernel MMD on the last layers.

    Trains a network on the label loss of the labeled rows plus
    ``mmd_weight`` (reached by a schedule) times the multi-kernel MMD
    (:func:`mk_mmd_loss`) between the source and the target rows of each
    batch, on the last layers of the network: DAN adapts the task-specific
    layers (Long et al., 2015), whose features transfer worst. The kernels
    are ``kernel_num`` Gaussians whose bandwidths, ``kernel_mul`` apart,
    centre on the mean squared distance between the rows of the batch. With
    ``sample_domain=None`` (or only source rows) it is a plain network.

    The paper adapts the features and the logits (its fc7 and fc8,
    ``layer="both"``). On a network trained from scratch the MMD of the
    logits can collapse them: its bandwidth follows their spread, so its
    gradient grows as they shrink, until every row gets nearly the same
    logits and one class (seen on small tabular tasks, where
    ``layer="both"`` then predicted a single class). The default adapts the
    features, as Transfer-Learning-Library's DAN does.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    mmd_weight : float, default=0.1
        Weight of the MMD terms (the paper's lambda), reached at the end of
        training: the term is weighted by ``mmd_weight * lambda_p``, DANN's
        schedule from 0 to 1 (:class:`~sktransfer.deep.AdaptationSchedule`,
        registered as ``"adaptation"``). Networks trained from scratch
        collapsed to one class at 1.0, with or without the schedule (Amazon
        reviews and MNIST -> digits: chance accuracy); 0.1 with the schedule
        adapted on both. The paper's 1.0 fine-tunes a pretrained network.
    layer : {"features", "logits", "both"}, default="features"
        The activations aligned: the learned features, the class logits, or
        both (the sum of their MMDs, the paper's).
    kernel_mul : float, default=2.0
        Ratio of consecutive kernel bandwidths.
    kernel_num : int, default=5
        Number of Gaussian kernels.
    linear : bool, default=False
        The paper's linear-time unbiased estimate of the MMD instead of the
        quadratic-time one (cheaper on large batches, noisier).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    JANClassifier : The joint MMD of the features and the predictions.
    DeepCORALClassifier : Aligns second-order statistics only.

    References
    ----------
    .. [1] M. Long, Y. Cao, J. Wang and M. I. Jordan, "Learning transferable
       features with deep adaptation networks", ICML 2015.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DANClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = DANClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=None,
        *args,
        mmd_weight=0.1,
        layer="features",
        kernel_mul=2.0,
        kernel_num=5,
        linear=False,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.mmd_weight = mmd_weight
        self.layer = layer
        self.kernel_mul = kernel_mul
        self.kernel_num = kernel_num
        self.linear = linear


class DANRegressor(_DANMixin, DomainAlignmentRegressor):
    """Deep adaptation network (DAN) regressor: multi-kernel MMD on the features.

    Trains a network on the squared error of the labeled rows (``y`` not
    ``nan``) plus ``mmd_weight`` times the multi-kernel MMD
    (:func:`~sktransfer.deep.mk_mmd_loss`) between the source and the target
    rows of each batch: ``kernel_num`` Gaussian kernels whose bandwidths,
    ``kernel_mul`` apart, centre on the mean squared distance between the
    rows of the batch (Long et al., 2015). The regressor counterpart of
    :class:`~sktransfer.deep.DANClassifier`, with its parameters. DAN aligns
    the last layers of a network; for a regressor the last layer is the
    prediction, whose distribution differs between domains whenever the
    targets' does, so by default only the learned features are aligned
    (``layer="logits"`` aligns the outputs, ``"both"`` both, as the paper
    aligns a classifier's). With ``sample_domain=None`` (or only source
    rows) it is a plain network. Standardise ``y`` when its scale is far
    from 1 (see :class:`~sktransfer.deep.DomainNetRegressor`).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentRegressor` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    mmd_weight : float, default=1.0
        Weight of the MMD terms (the paper's lambda).
    layer : {"features", "logits", "both"}, default="features"
        The activations aligned: the learned features, the network's
        outputs (its predictions), or both (the sum of their MMDs).
    kernel_mul : float, default=2.0
        Ratio of consecutive kernel bandwidths.
    kernel_num : int, default=5
        Number of Gaussian kernels.
    linear : bool, default=False
        The paper's linear-time unbiased estimate of the MMD instead of the
        quadratic-time one (cheaper on large batches, noisier).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainAlignmentRegressor`
        (``regularizers``, ``balanced_batches``) and of
        :class:`~sktransfer.deep.DomainNetRegressor` (``lr``,
        ``max_epochs``, ``batch_size``, ``train_split``, ``callbacks``,
        ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    n_outputs_ : int
        Number of outputs (columns of ``y``; 1 for a 1-d ``y``).
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    DANClassifier : The classifier, which also aligns the logits.
    DANNRegressor : Adversarial alignment of the features.
    DeepCORALRegressor : Aligns second-order statistics only.

    References
    ----------
    .. [1] M. Long, Y. Cao, J. Wang and M. I. Jordan, "Learning transferable
       features with deep adaptation networks", ICML 2015.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import DANRegressor
    >>> from sktransfer.utils import hide_target_labels
    >>> X, _, sd = make_domain_shift(random_state=0)
    >>> y = X[:, 1] - X[:, 0] ** 2 / 2  # the score behind the covariate shift
    >>> net = DANRegressor(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=None,
        *args,
        mmd_weight=1.0,
        layer="features",
        kernel_mul=2.0,
        kernel_num=5,
        linear=False,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.mmd_weight = mmd_weight
        self.layer = layer
        self.kernel_mul = kernel_mul
        self.kernel_num = kernel_num
        self.linear = linear


class JANClassifier(_ProgressiveWeight, DomainAlignmentClassifier):
    """Joint adaptation network (JAN): joint MMD of features and predictions.

    Trains a network on the label loss of the labeled rows plus
    ``jmmd_weight`` (reached by a schedule) times the joint MMD
    (:func:`joint_mmd_loss`) between the source and the target rows of each
    batch, of the learned features and the softmax predictions together
    (Long et al., 2017): the kernel of two rows is the product of a kernel
    on their features (five Gaussians around the batch's mean squared
    distance, as DAN's) and a Gaussian on their predictions (bandwidth 1.68,
    as JAN's reference code), so the joint distribution of features and
    classes is aligned, not each marginal. With ``sample_domain=None`` (or
    only source rows) it is a plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    jmmd_weight : float, default=0.1
        Weight of the joint MMD (the paper's lambda), reached at the end of
        training through the paper's progressive schedule ``lambda_p`` from
        0 to 1 (:class:`~sktransfer.deep.AdaptationSchedule`, registered as
        ``"adaptation"``). At 1.0 networks trained from scratch collapsed to
        one class (Amazon reviews, MNIST -> digits); the paper's 1.0
        fine-tunes a pretrained network.
    linear : bool, default=False
        The linear-time unbiased estimate of the joint MMD (the paper's)
        instead of the quadratic-time one.
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    DANClassifier : The MMD of each layer separately.
    CDANClassifier : Conditions an adversarial domain classifier instead.

    References
    ----------
    .. [1] M. Long, H. Zhu, J. Wang and M. I. Jordan, "Deep transfer learning
       with joint adaptation networks", ICML 2017.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import JANClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = JANClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **DomainAlignmentClassifier._parameter_constraints,
        "jmmd_weight": [_NON_NEGATIVE],
        "linear": ["boolean"],
    }

    def __init__(self, module=None, *args, jmmd_weight=0.1, linear=False, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.jmmd_weight = jmmd_weight
        self.linear = linear

    def domain_loss(self, logits, features, sample_domain):
        """``jmmd_weight`` times the joint MMD of features and softmax predictions.

        Zero when a domain has fewer than two rows in the batch. Arguments as
        in :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        source, target = _split(sample_domain)
        if min(int(source.sum()), int(target.sum())) < 2:
            return _zero(logits)
        proba = torch.softmax(logits, dim=1)
        jmmd = joint_mmd_loss(
            [features[source], proba[source]],
            [features[target], proba[target]],
            linear=bool(self.linear),
        )
        return self.jmmd_weight * self._progress() * jmmd


class MCCClassifier(DomainAlignmentClassifier):
    """Minimum Class Confusion (MCC): make the target predictions unconfused.

    Trains a network on the label loss of the labeled rows plus
    ``mcc_weight`` times the MCC loss (:func:`mcc_loss`) of the target rows
    of each batch (Jin et al., 2020): the confusion between pairs of classes
    in the temperature-scaled predictions, rows weighted by their certainty,
    classes normalised. No domain classifier, no source statistics: the
    target predictions are pushed away from the boundaries, as entropy
    minimisation does, without collapsing into the easy classes. With
    ``sample_domain=None`` (or only source rows) it is a plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    mcc_weight : float, default=1.0
        Weight of the MCC loss (the paper's 1).
    temperature : float, default=2.5
        Temperature of the probabilities (the paper's 2.5).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    BNMClassifier : Maximises the nuclear norm of the target predictions.
    InformationMaximizationClassifier : SHOT's information maximization.

    References
    ----------
    .. [1] Y. Jin, X. Wang, M. Long and J. Wang, "Minimum class confusion for
       versatile domain adaptation", ECCV 2020.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import MCCClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = MCCClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **DomainAlignmentClassifier._parameter_constraints,
        "mcc_weight": [_NON_NEGATIVE],
        "temperature": [_POSITIVE],
    }

    def __init__(self, module=None, *args, mcc_weight=1.0, temperature=2.5, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.mcc_weight = mcc_weight
        self.temperature = temperature

    def domain_loss(self, logits, features, sample_domain):
        """``mcc_weight`` times the MCC loss of the batch's target rows.

        Arguments as in :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        target = sample_domain < 0
        loss = mcc_loss(logits[target], temperature=self.temperature)
        return self.mcc_weight * loss


class BNMClassifier(DomainAlignmentClassifier):
    """Batch Nuclear-norm Maximization (BNM) of the target predictions.

    Trains a network on the label loss of the labeled rows plus
    ``bnm_weight`` times the BNM loss (:func:`bnm_loss`) of the target rows
    of each batch (Cui et al., 2020): minus the nuclear norm of their
    softmax predictions over their number. The nuclear norm bounds both the
    Frobenius norm (confident predictions) and the rank (diverse ones), so
    maximising it sharpens the target predictions without collapsing them
    into a few classes. With ``sample_domain=None`` (or only source rows) it
    is a plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    bnm_weight : float, default=1.0
        Weight of the BNM loss (the paper's lambda of 1 for domain
        adaptation).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    MCCClassifier : Minimises the class confusion of the target predictions.

    References
    ----------
    .. [1] S. Cui, S. Wang, J. Zhuo, L. Li, Q. Huang and Q. Tian, "Towards
       discriminability and diversity: batch nuclear-norm maximization under
       label insufficient situations", CVPR 2020.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import BNMClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = BNMClassifier(max_epochs=3, random_state=0, device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **DomainAlignmentClassifier._parameter_constraints,
        "bnm_weight": [_NON_NEGATIVE],
    }

    def __init__(self, module=None, *args, bnm_weight=1.0, **kwargs):
        super().__init__(module, *args, **kwargs)
        self.bnm_weight = bnm_weight

    def domain_loss(self, logits, features, sample_domain):
        """``bnm_weight`` times the BNM loss of the batch's target rows.

        Arguments as in :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        return self.bnm_weight * bnm_loss(logits[sample_domain < 0])


class InformationMaximizationClassifier(DomainAlignmentClassifier):
    """Information maximization (SHOT-IM) on the target predictions.

    Trains a network on the label loss of the labeled rows plus
    ``im_weight`` times the information maximization loss
    (:func:`information_maximization_loss`) of the target rows of each
    batch: their mean prediction entropy minus ``diversity_weight`` times
    the entropy of their mean prediction (Liang et al., 2020), so that each
    target row is predicted confidently while the classes stay balanced over
    the batch. SHOT trains it on the target alone, from a source model
    whose head it freezes; here it is trained jointly with the source label
    loss, which keeps the classes anchored. With ``sample_domain=None`` (or
    only source rows) it is a plain network.

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        Feature extractor and label predictor, as in
        :class:`~sktransfer.deep.DomainAlignmentClassifier` (``None``: an
        :class:`~sktransfer.deep.MLP` whose hidden layer of 100 units is the
        features).
    *args
        skorch's positional parameters (none in practice).
    im_weight : float, default=1.0
        Weight of the IM loss (SHOT's 1).
    diversity_weight : float, default=1.0
        Weight of the diversity term within the IM loss (SHOT's 1; ``0``
        is entropy minimisation).
    **kwargs : dict
        The parameters of :class:`~sktransfer.deep.DomainNetClassifier`
        (``lr``, ``max_epochs``, ``batch_size``, ``train_split``,
        ``callbacks``, ``device``, ``random_state``, ...) and ``module__*``.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained network.
    adapt_ : bool
        Whether training saw target rows (false: a plain network).
    n_features_out_ : int
        Number of learned features per row (:meth:`extract_features`).
    classes_ : ndarray of shape (n_classes,)
        Classes of the labeled rows.
    device_ : str or torch.device
        The device used.
    n_features_in_ : int
        ``X.shape[1]`` seen in ``fit``.

    See Also
    --------
    MCCClassifier : Minimises the class confusion of the target predictions.
    BNMClassifier : Maximises the nuclear norm of the target predictions.

    References
    ----------
    .. [1] J. Liang, D. Hu and J. Feng, "Do we really need to access the
       source data? Source hypothesis transfer for unsupervised domain
       adaptation", ICML 2020.

    Examples
    --------
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.deep import InformationMaximizationClassifier
    >>> from sktransfer.utils import hide_target_labels
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> net = InformationMaximizationClassifier(max_epochs=3, random_state=0,
    ...                                         device="cpu")
    >>> net.fit(X, hide_target_labels(y, sd), sample_domain=sd).predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        **DomainAlignmentClassifier._parameter_constraints,
        "im_weight": [_NON_NEGATIVE],
        "diversity_weight": [_NON_NEGATIVE],
    }

    def __init__(
        self, module=None, *args, im_weight=1.0, diversity_weight=1.0, **kwargs
    ):
        super().__init__(module, *args, **kwargs)
        self.im_weight = im_weight
        self.diversity_weight = diversity_weight

    def domain_loss(self, logits, features, sample_domain):
        """``im_weight`` times the IM loss of the batch's target rows.

        Arguments as in :meth:`DomainAlignmentClassifier.domain_loss`.
        """
        loss = information_maximization_loss(
            logits[sample_domain < 0], diversity_weight=self.diversity_weight
        )
        return self.im_weight * loss

"""Kernel-discrepancy alignment for regression: DAN's multi-kernel MMD.

:class:`DANRegressor` trains a regressor on the squared error of its labeled
rows plus the multi-kernel MMD (:func:`~sktransfer.deep.mk_mmd_loss`) between
the source and the target features of each batch, on
:class:`~sktransfer.deep.DomainAlignmentRegressor`. It aligns the features
only by default (as ``DANClassifier`` does): the outputs of a regressor are
its predictions, whose distribution differs between domains whenever the
targets' does.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import _NON_NEGATIVE, DomainAlignmentRegressor
from ._losses import mk_mmd_loss

__all__ = ["DANRegressor"]

_POSITIVE = Interval(Real, 0, None, closed="neither")


class DANRegressor(DomainAlignmentRegressor):
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

    _parameter_constraints = {
        **DomainAlignmentRegressor._parameter_constraints,
        "mmd_weight": [_NON_NEGATIVE],
        "layer": [StrOptions({"features", "logits", "both"})],
        "kernel_mul": [_POSITIVE],
        "kernel_num": [Interval(Integral, 1, None, closed="left")],
        "linear": ["boolean"],
    }

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

    def domain_loss(self, logits, features, sample_domain):
        """``mmd_weight`` times the MK-MMD of the ``layer`` activations.

        With ``layer="both"``, the MMD of the features plus that of the
        outputs. Zero when a domain has fewer than two rows in the batch.
        Arguments as in :meth:`DomainAlignmentRegressor.domain_loss`.
        """
        target = sample_domain < 0
        source = ~target
        if min(int(source.sum()), int(target.sum())) < 2:
            return logits.sum() * 0.0
        layers = {
            "features": (features,),
            "logits": (logits,),
            "both": (features, logits),
        }[self.layer]
        mmd = sum(
            mk_mmd_loss(
                activations[source],
                activations[target],
                kernel_mul=self.kernel_mul,
                kernel_num=int(self.kernel_num),
                linear=bool(self.linear),
            )
            for activations in layers
        )
        return self.mmd_weight * mmd

"""Differentiable domain-adaptation losses, and a registry of them as batch terms.

Functions of torch tensors, differentiable in their inputs, for a
``domain_loss`` of :class:`~sktransfer.deep.DomainAlignmentClassifier` or a
training loop of your own:

* discrepancies between the source and the target rows of a batch:
  :func:`mk_mmd_loss` (the multi-kernel MMD of DAN) and
  :func:`joint_mmd_loss` (the joint MMD of JAN, over several layers);
* losses on the predictions of the target rows alone, with no discriminator:
  :func:`mcc_loss` (Minimum Class Confusion), :func:`bnm_loss` (Batch
  Nuclear-norm Maximization), :func:`information_maximization_loss` (SHOT's
  IM) and :func:`entropy_loss`.

:data:`REGULARIZERS` names them (and the CORAL loss) as terms of one
signature, ``term(logits, features, sample_domain) -> scalar tensor``, to add
to the label loss of a training batch.
"""

from numbers import Integral, Real

import torch
import torch.nn.functional as F

from ._alignment import coral_loss

__all__ = [
    "REGULARIZERS",
    "bnm_loss",
    "entropy_loss",
    "information_maximization_loss",
    "joint_mmd_loss",
    "mcc_loss",
    "mk_mmd_loss",
]

# the bandwidth of the kernel on the softmax predictions in JAN's reference
# implementation (thuml/Xlearn, JAN: fix_sigma_list=[None, 1.68])
_JAN_SOFTMAX_BANDWIDTH = 1.68


# --- checks -------------------------------------------------------------------


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")


def _check_non_negative(value, name):
    if isinstance(value, bool) or not isinstance(value, Real) or not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}.")


def _check_count(value, name):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _check_matrix(x, name):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}.")
    if x.ndim != 2:
        raise ValueError(
            f"{name} must be 2-d (rows, columns), got shape {tuple(x.shape)}."
        )
    if x.shape[0] < 1:
        raise ValueError(f"{name} has no row.")


def _check_logits(logits, name="target_logits"):
    _check_matrix(logits, name)
    if logits.shape[1] < 1:
        raise ValueError(f"{name} has no column (class).")


# --- kernel two-sample discrepancies -------------------------------------------


def _mean_pairwise_sq_distance(Z):
    """Mean squared distance between distinct rows of ``Z``, in linear time.

    ``sum_{i != j} |z_i - z_j|^2 = 2 n sum_i |z_i - mean|^2``, over
    ``n (n - 1)`` pairs: the bandwidth heuristic of DAN's reference code.
    """
    n = Z.shape[0]
    centered = Z - Z.mean(dim=0, keepdim=True)
    return 2.0 * (centered**2).sum() / (n - 1)


def _bandwidths(Z, kernel_mul, kernel_num, bandwidth):
    """The ``kernel_num`` bandwidths, ``base * kernel_mul ** (k - kernel_num // 2)``.

    ``base`` is ``bandwidth`` when given, else the mean pairwise squared
    distance of the rows ``Z`` (detached: the bandwidths are not trained).
    """
    if bandwidth is None:
        base = _mean_pairwise_sq_distance(Z.detach())
        # identical rows: every distance is 0, any bandwidth gives kernel 1
        base = torch.where(base > 0, base, torch.ones_like(base))
    else:
        base = torch.as_tensor(float(bandwidth), dtype=Z.dtype, device=Z.device)
    return [base * kernel_mul ** (k - kernel_num // 2) for k in range(kernel_num)]


def _sq_distances(a, b):
    """Squared distances between the rows of ``a`` and those of ``b``."""
    sq = (a * a).sum(dim=1, keepdim=True) + (b * b).sum(dim=1) - 2.0 * (a @ b.T)
    return sq.clamp_min(0.0)


def _kernel(sq, widths):
    return sum(torch.exp(-sq / width) for width in widths)


def _per_layer(value, n_layers, name):
    if isinstance(value, list | tuple):
        if len(value) != n_layers:
            raise ValueError(
                f"{name} has {len(value)} values, one per layer is needed: "
                f"{n_layers} layers."
            )
        return list(value)
    return [value] * n_layers


def joint_mmd_loss(
    source_list,
    target_list,
    kernel_mul=2.0,
    kernel_num=(5, 1),
    bandwidth=(None, _JAN_SOFTMAX_BANDWIDTH),
    linear=False,
):
    """Joint maximum mean discrepancy (JMMD) of JAN, over several layers.

    The MMD of the joint distribution of the activations of several layers
    (Long et al., 2017): the kernel between two rows is the product over
    the layers of a multi-kernel Gaussian on that layer's activations,
    ``prod_l sum_k exp(-|z_l - z'_l|^2 / w_lk)``. The bandwidths of layer
    ``l`` are ``base_l * kernel_mul ** (k - kernel_num_l // 2)`` for ``k`` in
    ``range(kernel_num_l)``, ``base_l`` being ``bandwidth_l`` or, when that
    is ``None``, the mean squared distance between the rows of the batch
    (source and target together; detached). The defaults are those of JAN's
    reference code for the two layers (features, softmax predictions): five
    kernels around the mean distance on the features, one kernel of
    bandwidth 1.68 on the predictions. A single layer is the multi-kernel
    MMD of DAN (:func:`mk_mmd_loss`).

    Parameters
    ----------
    source_list : sequence of torch.Tensor
        The activations of the source rows, one tensor of shape
        ``(n_source, d_l)`` per layer.
    target_list : sequence of torch.Tensor
        Those of the target rows, ``(n_target, d_l)`` per layer.
    kernel_mul : float or sequence of float, default=2.0
        Ratio of consecutive bandwidths; one per layer, or one for all.
    kernel_num : int or sequence of int, default=(5, 1)
        Number of Gaussian kernels per layer, or one number for all.
    bandwidth : float, None or sequence of those, default=(None, 1.68)
        The middle bandwidth of each layer; ``None``: the mean pairwise
        squared distance of the batch's rows.
    linear : bool, default=False
        ``False``: the quadratic-time (biased) estimate, the mean kernel
        within the source plus within the target minus twice across.
        ``True``: the linear-time unbiased estimate over
        ``min(n_source, n_target) // 2`` quad-tuples of rows (Gretton et al.,
        2012), which DAN trains with; it needs two rows of each domain.

    Returns
    -------
    loss : torch.Tensor
        A scalar, differentiable in every activation.

    Raises
    ------
    ValueError
        If the layers do not match (numbers of layers, columns or rows), a
        kernel parameter is not positive, or ``linear=True`` with fewer than
        two rows of a domain.

    References
    ----------
    .. [1] M. Long, H. Zhu, J. Wang and M. I. Jordan, "Deep transfer learning
       with joint adaptation networks", ICML 2017.
    .. [2] A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schoelkopf and
       A. Smola, "A kernel two-sample test", JMLR 13, 2012.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import joint_mmd_loss
    >>> g = torch.Generator().manual_seed(0)
    >>> f_s, f_t = torch.randn(64, 8, generator=g), torch.randn(64, 8, generator=g)
    >>> p_s, p_t = torch.softmax(f_s[:, :3], 1), torch.softmax(f_t[:, :3], 1)
    >>> same = joint_mmd_loss([f_s, p_s], [f_t, p_t])
    >>> shifted = joint_mmd_loss([f_s, p_s], [f_t + 2, p_t])
    >>> bool(shifted > 5 * same)
    True
    """
    if not isinstance(source_list, list | tuple) or not isinstance(
        target_list, list | tuple
    ):
        raise TypeError(
            "source_list and target_list must be lists of tensors, one per layer."
        )
    n_layers = len(source_list)
    if n_layers == 0 or len(target_list) != n_layers:
        raise ValueError(
            f"source_list and target_list must hold the same number (at least "
            f"one) of layers, got {n_layers} and {len(target_list)}."
        )
    muls = _per_layer(kernel_mul, n_layers, "kernel_mul")
    nums = _per_layer(kernel_num, n_layers, "kernel_num")
    widths = _per_layer(bandwidth, n_layers, "bandwidth")
    for layer, (source, target) in enumerate(zip(source_list, target_list)):
        _check_matrix(source, f"source_list[{layer}]")
        _check_matrix(target, f"target_list[{layer}]")
        if source.shape[1] != target.shape[1]:
            raise ValueError(
                f"Layer {layer} has {source.shape[1]} source columns but "
                f"{target.shape[1]} target columns."
            )
        _check_positive(muls[layer], "kernel_mul")
        _check_count(nums[layer], "kernel_num")
        if widths[layer] is not None:
            _check_positive(widths[layer], "bandwidth")
    n_source, n_target = source_list[0].shape[0], target_list[0].shape[0]
    if any(s.shape[0] != n_source for s in source_list) or any(
        t.shape[0] != n_target for t in target_list
    ):
        raise ValueError("Every layer must hold the same rows (one per row).")
    if n_source + n_target < 2:
        raise ValueError("The MMD needs at least two rows in all.")
    if linear:
        return _linear_joint_mmd(source_list, target_list, muls, nums, widths)
    joint = None
    for source, target, mul, num, width in zip(
        source_list, target_list, muls, nums, widths
    ):
        Z = torch.cat([source, target], dim=0)
        kernel = _kernel(_sq_distances(Z, Z), _bandwidths(Z, mul, num, width))
        joint = kernel if joint is None else joint * kernel
    ss = joint[:n_source, :n_source].mean()
    tt = joint[n_source:, n_source:].mean()
    st = joint[:n_source, n_source:].mean()
    return ss + tt - 2.0 * st


def _linear_joint_mmd(source_list, target_list, muls, nums, widths):
    m = min(source_list[0].shape[0], target_list[0].shape[0]) // 2
    if m < 1:
        raise ValueError(
            "The linear-time MMD needs at least two source and two target rows."
        )
    terms = None
    for source, target, mul, num, width in zip(
        source_list, target_list, muls, nums, widths
    ):
        bands = _bandwidths(torch.cat([source, target]), mul, num, width)
        s1, s2 = source[0 : 2 * m : 2], source[1 : 2 * m : 2]
        t1, t2 = target[0 : 2 * m : 2], target[1 : 2 * m : 2]
        pairs = torch.stack(
            [
                ((s1 - s2) ** 2).sum(1),
                ((t1 - t2) ** 2).sum(1),
                ((s1 - t2) ** 2).sum(1),
                ((s2 - t1) ** 2).sum(1),
            ]
        )
        kernel = _kernel(pairs, bands)
        terms = kernel if terms is None else terms * kernel
    return (terms[0] + terms[1] - terms[2] - terms[3]).mean()


def mk_mmd_loss(source, target, kernel_mul=2.0, kernel_num=5, linear=False):
    """Multi-kernel maximum mean discrepancy (MK-MMD) of DAN.

    The squared MMD between the rows of ``source`` and ``target`` under the
    sum of ``kernel_num`` Gaussian kernels (Long et al., 2015), of
    bandwidths ``base * kernel_mul ** (k - kernel_num // 2)``, ``base`` the
    mean squared distance between the rows of the batch (source and target
    together; detached, so the bandwidths are not trained). The kernels are
    summed with equal weights, as in DAN's and Transfer-Learning-Library's
    implementations.

    Parameters
    ----------
    source : torch.Tensor of shape (n_source, d)
    target : torch.Tensor of shape (n_target, d)
    kernel_mul : float, default=2.0
        Ratio of consecutive bandwidths.
    kernel_num : int, default=5
        Number of Gaussian kernels.
    linear : bool, default=False
        ``False``: the quadratic-time (biased) estimate. ``True``: the
        linear-time unbiased estimate of the paper, over quad-tuples of rows;
        it needs two rows of each domain.

    Returns
    -------
    loss : torch.Tensor
        A scalar, differentiable in both inputs; about 0 when both hold rows
        of one distribution (exactly 0 for the quadratic estimate of the
        same rows), larger the more the distributions differ.

    Raises
    ------
    ValueError
        If the inputs are not 2-d with the same columns, or a kernel
        parameter is not positive.

    See Also
    --------
    joint_mmd_loss : The MMD of several layers jointly (JAN).

    References
    ----------
    .. [1] M. Long, Y. Cao, J. Wang and M. I. Jordan, "Learning transferable
       features with deep adaptation networks", ICML 2015.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import mk_mmd_loss
    >>> x = torch.randn(100, 3, generator=torch.Generator().manual_seed(0))
    >>> float(mk_mmd_loss(x, x))
    0.0
    >>> bool(mk_mmd_loss(x, x + 1) > 0.5)
    True
    """
    return joint_mmd_loss(
        [source],
        [target],
        kernel_mul=kernel_mul,
        kernel_num=kernel_num,
        bandwidth=None,
        linear=linear,
    )


# --- losses on the target predictions ------------------------------------------


def _row_entropy(logits):
    log_p = F.log_softmax(logits, dim=1)
    return -(log_p.exp() * log_p).sum(dim=1)


def entropy_loss(target_logits):
    """Mean entropy of the predicted class distribution of each row.

    Entropy minimisation (Grandvalet and Bengio, 2005): low when every row
    is predicted confidently.

    Parameters
    ----------
    target_logits : torch.Tensor of shape (n_rows, n_classes)
        Class logits.

    Returns
    -------
    loss : torch.Tensor
        A scalar in ``[0, log n_classes]``.

    References
    ----------
    .. [1] Y. Grandvalet and Y. Bengio, "Semi-supervised learning by entropy
       minimization", NeurIPS 2004.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import entropy_loss
    >>> round(float(entropy_loss(torch.zeros(4, 2))), 4)  # log 2
    0.6931
    >>> round(float(entropy_loss(torch.tensor([[50.0, 0.0]]))), 6)
    0.0
    """
    _check_logits(target_logits)
    return _row_entropy(target_logits).mean()


def information_maximization_loss(target_logits, diversity_weight=1.0):
    """SHOT's information maximization (IM) loss.

    The mean entropy of each row's prediction minus ``diversity_weight``
    times the entropy of the mean prediction (Liang et al., 2020): each row
    predicted confidently, the classes used evenly over the batch, so that
    the entropy term cannot push every row into one class. Minus the mutual
    information between the inputs and the predicted class when
    ``diversity_weight=1``.

    Parameters
    ----------
    target_logits : torch.Tensor of shape (n_rows, n_classes)
        Class logits of the target rows.
    diversity_weight : float, default=1.0
        Weight of the diversity term (SHOT's 1).

    Returns
    -------
    loss : torch.Tensor
        A scalar; ``-log n_classes`` at best (confident, balanced
        predictions over a batch).

    Raises
    ------
    ValueError
        If ``diversity_weight`` is negative.

    References
    ----------
    .. [1] J. Liang, D. Hu and J. Feng, "Do we really need to access the
       source data? Source hypothesis transfer for unsupervised domain
       adaptation", ICML 2020.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import information_maximization_loss
    >>> confident_and_diverse = torch.tensor([[20.0, 0.0], [0.0, 20.0]])
    >>> round(float(information_maximization_loss(confident_and_diverse)), 4)
    -0.6931
    >>> all_one_class = torch.tensor([[20.0, 0.0], [20.0, 0.0]])
    >>> round(float(information_maximization_loss(all_one_class)), 4)
    0.0
    """
    _check_logits(target_logits)
    _check_non_negative(diversity_weight, "diversity_weight")
    mean_proba = torch.softmax(target_logits, dim=1).mean(dim=0)
    tiny = torch.finfo(mean_proba.dtype).tiny
    diversity = -(mean_proba * torch.log(mean_proba.clamp_min(tiny))).sum()
    return _row_entropy(target_logits).mean() - diversity_weight * diversity


def mcc_loss(target_logits, temperature=2.5):
    """Minimum Class Confusion (MCC) loss.

    The confusion between classes of the predictions on the target rows
    (Jin et al., 2020): with the probabilities ``P = softmax(logits / T)``
    rescaled by ``temperature`` ``T``, each row weighted by
    ``1 + exp(-H(P_i))`` (confident rows count more; the weights, detached,
    sum to the number of rows), the class confusion matrix
    ``C = P^T diag(w) P``, each column normalised to sum to 1 (category
    normalisation), the loss is the sum of the off-diagonal entries over
    the number of classes: 0 when no row spreads its probability over two
    classes.

    Parameters
    ----------
    target_logits : torch.Tensor of shape (n_rows, n_classes)
        Class logits of the target rows.
    temperature : float, default=2.5
        Temperature of the probabilities (the paper's 2.5 for most tasks).

    Returns
    -------
    loss : torch.Tensor
        A scalar in ``[0, 1)``.

    Raises
    ------
    ValueError
        If ``temperature`` is not positive.

    References
    ----------
    .. [1] Y. Jin, X. Wang, M. Long and J. Wang, "Minimum class confusion for
       versatile domain adaptation", ECCV 2020.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import mcc_loss
    >>> confident = torch.tensor([[30.0, 0.0], [0.0, 30.0]])
    >>> round(float(mcc_loss(confident)), 4)
    0.0
    >>> bool(mcc_loss(torch.zeros(2, 2)) > 0.4)
    True
    """
    _check_logits(target_logits)
    _check_positive(temperature, "temperature")
    n_rows, n_classes = target_logits.shape
    log_p = F.log_softmax(target_logits / temperature, dim=1)
    proba = log_p.exp()
    with torch.no_grad():
        entropy = -(proba * log_p).sum(dim=1)
        weights = 1.0 + torch.exp(-entropy)
        weights = n_rows * weights / weights.sum()
    confusion = (proba * weights[:, None]).T @ proba
    confusion = confusion / confusion.sum(dim=0, keepdim=True)
    return (confusion.sum() - torch.trace(confusion)) / n_classes


def bnm_loss(target_logits):
    """Batch Nuclear-norm Maximization (BNM) loss.

    Minus the nuclear norm (the sum of the singular values) of the matrix
    of the softmax predictions of the target rows, over their number (Cui
    et al., 2020). Maximising the nuclear norm makes the predictions both
    confident and diverse: it is largest for one-hot rows spread over as
    many classes as the batch allows.

    Parameters
    ----------
    target_logits : torch.Tensor of shape (n_rows, n_classes)
        Class logits of the target rows.

    Returns
    -------
    loss : torch.Tensor
        A scalar in ``[-sqrt(min(n_rows, n_classes) / n_rows), 0)``: -1 at
        best, for one-hot rows over as many classes as rows.

    References
    ----------
    .. [1] S. Cui, S. Wang, J. Zhuo, L. Li, Q. Huang and Q. Tian, "Towards
       discriminability and diversity: batch nuclear-norm maximization under
       label insufficient situations", CVPR 2020.

    Examples
    --------
    >>> import torch
    >>> from sktransfer.deep import bnm_loss
    >>> diverse = torch.tensor([[30.0, 0.0], [0.0, 30.0]])
    >>> round(float(bnm_loss(diverse)), 4)
    -1.0
    >>> round(float(bnm_loss(torch.tensor([[30.0, 0.0], [30.0, 0.0]]))), 4)
    -0.7071
    """
    _check_logits(target_logits)
    # in float32: torch has no SVD of half-precision matrices (mixed precision)
    proba = torch.softmax(target_logits.float(), dim=1)
    # svdvals' gradient is stable even for repeated singular values
    return -torch.linalg.svdvals(proba).sum() / proba.shape[0]


# --- the registry of batch terms -----------------------------------------------


def _domains(sample_domain, like):
    sample_domain = torch.as_tensor(sample_domain, device=like.device)
    if sample_domain.ndim != 1 or sample_domain.shape[0] != like.shape[0]:
        raise ValueError(
            f"sample_domain must hold one domain per row: {like.shape[0]} rows, "
            f"got shape {tuple(sample_domain.shape)}."
        )
    return sample_domain > 0, sample_domain < 0


def _zero(logits):
    # zero, with a graph: a batch term that has nothing to compute
    return logits.sum() * 0.0


def _on_target_rows(loss):
    def term(logits, features, sample_domain, **params):
        _, target = _domains(sample_domain, logits)
        if not bool(target.any()):
            return _zero(logits)
        return loss(logits[target], **params)

    return term


def _between_domains(discrepancy):
    def term(logits, features, sample_domain, **params):
        source, target = _domains(sample_domain, logits)
        if min(int(source.sum()), int(target.sum())) < 2:
            return _zero(logits)
        return discrepancy(logits, features, source, target, **params)

    return term


def _dan(logits, features, source, target, kernel_mul=2.0, kernel_num=5, linear=False):
    return mk_mmd_loss(
        features[source], features[target], kernel_mul, kernel_num, linear
    )


def _jan(logits, features, source, target, linear=False):
    proba = torch.softmax(logits, dim=1)
    return joint_mmd_loss(
        [features[source], proba[source]],
        [features[target], proba[target]],
        linear=linear,
    )


def _coral(logits, features, source, target):
    return coral_loss(features[source], features[target])


class _Term:
    """A named batch term ``term(logits, features, sample_domain, **params)``."""

    def __init__(self, name, function, doc):
        self.name = name
        self._function = function
        self.__doc__ = doc

    def __call__(self, logits, features, sample_domain, **params):
        return self._function(logits, features, sample_domain, **params)

    def __repr__(self):
        return f"<{self.name} term>"

    def __reduce__(self):  # pickled by name: the registry's own object
        return (_registered_term, (self.name,))


def _registered_term(name):
    return REGULARIZERS[name]


class _Registry(dict):
    """A dict whose repr is short and stable (the API page shows it)."""

    def __repr__(self):
        return (
            "{" + ", ".join(f"{name!r}: {term!r}" for name, term in self.items()) + "}"
        )


#: Domain-adaptation terms by name, each ``term(logits, features, sample_domain)``
#: returning an unweighted scalar tensor for one training batch (target rows
#: are those with ``sample_domain < 0``): ``"entropy"``, ``"mcc"``,
#: ``"bnm"`` and ``"im"`` on the target rows' logits; ``"mmd"`` (DAN's
#: MK-MMD of the features), ``"jmmd"`` (JAN's joint MMD of the features and
#: the softmax predictions) and ``"coral"`` (CORAL of the features) between
#: the source and the target rows. Zero (with a graph) when the batch has too
#: few rows of a domain.
REGULARIZERS = _Registry(
    entropy=_Term(
        "entropy",
        _on_target_rows(entropy_loss),
        "entropy_loss of the target rows' logits; 0 without a target row.",
    ),
    mcc=_Term(
        "mcc",
        _on_target_rows(mcc_loss),
        "mcc_loss of the target rows' logits (keyword: temperature=2.5); 0 "
        "without a target row.",
    ),
    bnm=_Term(
        "bnm",
        _on_target_rows(bnm_loss),
        "bnm_loss of the target rows' logits; 0 without a target row.",
    ),
    im=_Term(
        "im",
        _on_target_rows(information_maximization_loss),
        "information_maximization_loss of the target rows' logits (keyword: "
        "diversity_weight=1.0); 0 without a target row.",
    ),
    mmd=_Term(
        "mmd",
        _between_domains(_dan),
        "DAN: mk_mmd_loss between the source and target features (keywords: "
        "kernel_mul=2.0, kernel_num=5, linear=False); 0 with fewer than two "
        "rows of a domain.",
    ),
    jmmd=_Term(
        "jmmd",
        _between_domains(_jan),
        "JAN: joint_mmd_loss of the features and softmax predictions of the "
        "source and target rows (keyword: linear=False); 0 with fewer than "
        "two rows of a domain.",
    ),
    coral=_Term(
        "coral",
        _between_domains(_coral),
        "coral_loss between the source and target features; 0 with fewer "
        "than two rows of a domain.",
    ),
)

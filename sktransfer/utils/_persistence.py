"""Saving and loading models safely with skops.

A pickle runs whatever code its author put in it when it is loaded; a model
file from someone else must not be a pickle. skops writes models as JSON and
numpy arrays and, when loading, builds only the types the caller trusts.
:func:`get_trusted_types` is sktransfer's list of them, kept here and nowhere
else: it is derived from the package (its estimators and the other classes it
exports, and the types their default parameters hold) plus the few types that
only a fitted model holds, and it never holds a type whose loading could run
code. :func:`dump` and :func:`load` are skops's with that list.
"""

import functools
import importlib
import inspect
import sys

__all__ = ["dump", "get_trusted_types", "load"]

_EXTRA_HINT = (
    "Saving and loading models safely needs skops, the optional dependency of "
    "the extra 'persist': pip install 'sktransfer[persist]'"
)

# Packages whose exported classes are sktransfer's own types; from the
# benchmark only the estimators (its other classes are records of the runner).
_BENCHMARK = "benchmark"

# Types that no sktransfer model needs and whose loading could run code or
# read files: never trusted, and refused by load(trusted=...).
_NEVER_TRUSTED = (
    "builtins.",
    "pickle.",
    "_pickle.",
    "copyreg.",
    "copy.",
    "marshal.",
    "shelve.",
    "dill.",
    "cloudpickle.",
    "joblib.",
    "os.",
    "posix.",
    "nt.",
    "sys.",
    "subprocess.",
    "shutil.",
    "importlib.",
    "runpy.",
    "code.",
    "codeop.",
    "ctypes.",
    "io.",
    "socket.",
    "functools.",
    "operator.",
    "types.",
    "numpy.load",
    "numpy.lib.",
    "torch.load",
    "torch.serialization.",
    "torch.hub.",
    "torch.jit.",
    "torch.package.",
    # skorch's nets unpickle their torch objects in __setstate__; sktransfer's
    # nets replace that with a pickle-free state (sktransfer.deep._persistence)
    "skorch.net.",
    "skorch.classifier.",
    "skorch.regressor.",
    "skorch.utils.",
)


def _import_skops():
    try:
        import skops.io
    except ImportError as exc:
        raise ImportError(_EXTRA_HINT) from exc
    return skops.io


def _type_name(obj):
    """The name skops gives a type or a function: ``module.name``."""
    if isinstance(obj, str):
        return obj
    return f"{obj.__module__}.{obj.__name__}"


def _unsafe_reason(name):
    """Why the type ``name`` is never trusted, or ``None``."""
    if name.startswith(_NEVER_TRUSTED):
        return (
            "it belongs to a module whose functions and types can run code, read "
            "files or unpickle data when a file is loaded"
        )
    return None


def _is_pickle_based(cls):
    """A skorch net that keeps skorch's pickling of its torch objects."""
    # a class can subclass skorch's net only once skorch is imported
    net = getattr(sys.modules.get("skorch.net"), "NeuralNet", None)
    if net is None or not issubclass(cls, net):
        return False
    portable = getattr(
        sys.modules.get("sktransfer.deep._persistence"), "PortableStateMixin", None
    )
    return portable is None or not issubclass(cls, portable)


def _sktransfer_classes():
    """The public classes of sktransfer's estimator families and benchmark.

    Those a family package exports or imports under a public name (such as
    the deep nets' base ``DomainNetClassifier``, an estimator), except
    exceptions and warnings; from the benchmark, its estimators only.
    """
    from sklearn.base import BaseEstimator

    from .discovery import _FAMILIES

    classes = {}
    for family in (*_FAMILIES, _BENCHMARK):
        module = importlib.import_module(f"sktransfer.{family}")
        exported = set(getattr(module, "__all__", ()))
        for name in sorted({*exported, *dir(module)}):
            obj = getattr(module, name, None)
            if (
                name.startswith("_")
                or not inspect.isclass(obj)
                or not obj.__module__.startswith("sktransfer.")
                or issubclass(obj, BaseException)
            ):
                continue
            estimator = issubclass(obj, BaseEstimator)
            if (name in exported and family != _BENCHMARK) or estimator:
                classes[_type_name(obj)] = obj
    return list(classes.values())


def _default_instance(cls):
    """``cls()``, or ``None`` when it needs arguments or is a torch module."""
    if any(base.__module__.startswith("torch.nn") for base in cls.__mro__[1:]):
        return None  # modules are saved as weights, never as skops objects
    try:
        return cls()
    except TypeError:
        return None


@functools.cache
def _derive_trusted_types():
    """``(trusted, refused)``: names derived from the package, and those left out.

    Trusted: every class of :func:`_sktransfer_classes`, what skops does not
    trust by default in a default instance of each (their default
    parameters: torch's loss and optimizer classes, skorch's data set and
    loader, ...), and :data:`_FITTED_STATE_TYPES`. Refused: any of these that
    a module of :data:`_NEVER_TRUSTED` defines or that is a pickle-based
    skorch net (a test asserts there are none).
    """
    skops_io = _import_skops()
    names = {}
    for cls in _sktransfer_classes():
        names[_type_name(cls)] = cls
        instance = _default_instance(cls)
        if instance is not None:
            held = skops_io.get_untrusted_types(data=skops_io.dumps(instance))
            names.update(dict.fromkeys(held))
    for name in _fitted_state_types():
        names.setdefault(name, None)
    trusted, refused = [], {}
    for name, cls in names.items():
        reason = _unsafe_reason(name)
        if reason is None and cls is not None and _is_pickle_based(cls):
            reason = "it is a skorch net that unpickles its torch objects"
        if reason is None:
            trusted.append(name)
        else:
            refused[name] = reason
    return tuple(sorted(trusted)), refused


def _fitted_state_types():
    """Types only fitted models hold (a default instance does not show them).

    A fitted deep net holds skorch's ``History`` (``history_``: a list of
    dicts of numbers). ``check_skops_round_trip`` fits every estimator and
    fails, naming the type, if a fitted model holds one that is not listed
    by :func:`get_trusted_types`.
    """
    from skorch.history import History

    return [_type_name(History)]


def _tree_types():
    """scikit-learn's tree structures, trusted only with ``trees=True``.

    ``Tree`` holds the nodes of decision trees (TrAdaBoost's default base
    estimators), ``KDTree`` and ``BallTree`` the neighbour search of
    :class:`~sklearn.neighbors.KNeighborsClassifier` (the default classifier
    of JointDistributionAdaptation), with their distance metric. Loading them
    runs no code, but scikit-learn does not check their node indices, so a
    crafted file can crash the process at ``predict``; skops does not trust
    ``Tree`` by default for that reason.
    """
    from sklearn.metrics import DistanceMetric
    from sklearn.neighbors import BallTree, KDTree
    from sklearn.tree._tree import Tree

    metric = type(DistanceMetric.get_metric("euclidean"))
    return [_type_name(cls) for cls in (Tree, KDTree, BallTree, metric)]


def get_trusted_types(*, trees=False):
    """The types that sktransfer trusts skops to load.

    Every sktransfer model, fitted with its default parameters, loads with
    these types only (``trees=True`` for the models holding decision trees or
    nearest-neighbour trees). They are sktransfer's own classes (estimators,
    splitters, scorers, callbacks, torch modules), the types their default
    parameters name (torch's ``CrossEntropyLoss`` and ``Adam``, skorch's data
    set and data loader classes) and skorch's training ``History``. The list
    is derived from the package, so a new estimator is trusted as soon as it
    is exported.

    None of them can run code when a file is loaded: skops builds them from
    plain attributes, and sktransfer's deep nets store their weights as
    numpy arrays (skorch's own nets, which unpickle their torch objects, and
    modules such as ``builtins`` or ``pickle`` are never trusted). Types a
    file holds beyond these (your own module class, a callback of skorch)
    must be trusted one by one, after checking where the file comes from.

    Parameters
    ----------
    trees : bool, default=False
        Also trust scikit-learn's tree structures: ``Tree`` of decision trees
        and forests (TrAdaBoost's default base estimators), ``KDTree`` and
        ``BallTree`` of nearest neighbours (JointDistributionAdaptation's
        default classifier) and their metric. Loading them runs no code, but
        scikit-learn does not check their node indices, so a crafted file can
        crash the process when the model predicts; skops does not trust them
        by default for that reason. Pass ``True`` for files you made yourself
        or whose source you trust.

    Returns
    -------
    trusted : list of str
        Fully qualified type names, sorted, as
        :func:`skops.io.get_untrusted_types` reports them; pass them as
        ``trusted`` to :func:`skops.io.load`.

    Raises
    ------
    ImportError
        If skops is not installed (the extra ``persist``).

    See Also
    --------
    dump : Save a model with skops.
    load : Load a model with these types trusted.

    Examples
    --------
    >>> from sktransfer.utils import get_trusted_types
    >>> trusted = get_trusted_types()
    >>> "sktransfer.feature._tca.TransferComponentAnalysis" in trusted
    True
    >>> any(name.startswith(("builtins.", "pickle.")) for name in trusted)
    False
    >>> "sklearn.tree._tree.Tree" in get_trusted_types(trees=True)
    True
    """
    trusted, _ = _derive_trusted_types()
    trusted = list(trusted)
    if trees:
        trusted = sorted({*trusted, *_tree_types()})
    return trusted


def dump(model, file):
    """Save a model with skops (no pickle), to load with :func:`load`.

    The same as :func:`skops.io.dump`. sktransfer's deep nets save their
    weights and optimizer state as numpy arrays, without their device: a net
    trained on a GPU loads on a CPU-only machine.

    Parameters
    ----------
    model : object
        A fitted (or unfitted) estimator, pipeline or search; anything skops
        saves.
    file : str, path or binary file object
        Where to write; the convention is the suffix ``.skops``.

    Raises
    ------
    ImportError
        If skops is not installed (the extra ``persist``).

    See Also
    --------
    load : Load the model back.

    Examples
    --------
    >>> import io
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.feature import CORAL
    >>> from sktransfer.utils import dump, load
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> coral = CORAL().fit(X, y, sample_domain=sd)
    >>> buffer = io.BytesIO()
    >>> dump(coral, buffer)
    >>> (load(buffer).transform(X) == coral.transform(X)).all()
    np.True_
    """
    _import_skops().dump(model, file)


def load(file, *, trusted=None, trees=False):
    """Load a model saved by :func:`dump`, building only trusted types.

    Loads with skops, trusting :func:`get_trusted_types` and ``trusted``: a
    file that holds any other type is refused before anything is built, so
    loading never runs code from the file.

    Parameters
    ----------
    file : str, path or binary file object
        The file written by :func:`dump` (or :func:`skops.io.dump`).
    trusted : list of str or type, default=None
        More types to trust, e.g. your own module class; check with
        :func:`skops.io.get_untrusted_types` what a file holds, and where it
        comes from, before trusting anything. Types of modules that can run
        code (``builtins``, ``pickle``, ``os``, ...) and skorch's own nets
        are refused.
    trees : bool, default=False
        Also trust scikit-learn's tree structures; see
        :func:`get_trusted_types`.

    Returns
    -------
    model : object
        The model, ready to predict.

    Raises
    ------
    skops.io.exceptions.UntrustedTypesFoundException
        If the file holds a type that is not trusted (a ``TypeError``).
    ValueError
        If ``trusted`` names a type that is never trusted.
    ImportError
        If skops is not installed (the extra ``persist``).

    See Also
    --------
    dump : Save a model.
    get_trusted_types : The types trusted without asking.

    Examples
    --------
    >>> import io
    >>> from sktransfer.datasets import make_domain_shift
    >>> from sktransfer.instance import TrAdaBoostClassifier
    >>> from sktransfer.utils import dump, load
    >>> X, y, sd = make_domain_shift(random_state=0)
    >>> model = TrAdaBoostClassifier(n_estimators=5, random_state=0)
    >>> buffer = io.BytesIO()
    >>> dump(model.fit(X, y, sample_domain=sd), buffer)
    >>> restored = load(buffer, trees=True)  # the trees of a model you made
    >>> (restored.predict(X) == model.predict(X)).all()
    np.True_
    """
    skops_io = _import_skops()
    from skops.io.exceptions import UntrustedTypesFoundException

    extra = [_type_name(t) for t in (trusted or ())]
    refused = {name: _unsafe_reason(name) for name in extra if _unsafe_reason(name)}
    for name, cls in zip(extra, trusted or ()):
        if inspect.isclass(cls) and _is_pickle_based(cls):
            refused[name] = "it is a skorch net that unpickles its torch objects"
    if refused:
        reasons = "; ".join(f"{name}: {why}" for name, why in refused.items())
        raise ValueError(f"load does not trust these types: {reasons}.")
    try:
        return skops_io.load(file, trusted=[*get_trusted_types(trees=trees), *extra])
    except UntrustedTypesFoundException as exc:
        hint = (
            "sktransfer trusts its own types and those its models hold "
            "(sktransfer.utils.get_trusted_types()). Pass any other type you "
            "trust, after checking where the file comes from, as "
            "load(file, trusted=[...])."
        )
        if not trees and any(name in str(exc) for name in _tree_types()):
            hint += " The tree structures of a model you made: load(file, trees=True)."
        exc.args = (f"{exc.args[0]}\n\n{hint}", *exc.args[1:])
        raise

"""Splitters whose test folds hold the rows that say how well a model transfers.

Each splitter reads the domains from ``sample_domain``, received through
metadata routing (``sklearn.set_config(enable_metadata_routing=True)``), or
from ``groups`` when routing is off (``search.fit(X, y, groups=sample_domain,
...)``).
"""

import inspect
from numbers import Integral

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.model_selection._split import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    Interval,
    RealNotInt,
    validate_parameter_constraints,
)
from sklearn.utils.validation import _num_samples

from .._domain import check_sample_domain, labeled_mask

__all__ = ["LeaveOneDomainOut", "SourceTargetShuffleSplit", "TargetKFold"]


def _domains(splitter, X, y, groups, sample_domain):
    """The validated domains of the rows, from ``sample_domain`` or ``groups``."""
    name = type(splitter).__name__
    if sample_domain is None:
        sample_domain = groups
    if sample_domain is None:
        raise ValueError(
            f"{name} needs the domain of each row: pass sample_domain (metadata "
            "routing on) or groups=sample_domain (routing off) to split, or to "
            "the fit of the search that uses it."
        )
    return check_sample_domain(sample_domain, X, y, estimator_name=name)


def _is_regression_target(y):
    """Whether ``y`` holds regression targets, read from ``y`` alone.

    A splitter does not see the estimator: float ``y`` is taken for
    regression targets (only ``nan`` marks a row unlabeled, ``-1.0`` is a
    value) when it holds ``nan`` or a value that is not a whole number;
    integer, string and whole-number float labels are classes (``-1`` marks
    unlabeled target rows).
    """
    y = np.asarray(y)
    if y.dtype.kind != "f":
        return False
    return bool(np.isnan(y).any() or (y != np.round(y)).any())


def _validate_params(owner):
    """Check the splitter's parameters against its ``_parameter_constraints``."""
    init = type(owner).__init__
    names = (
        []
        if init is object.__init__
        else [name for name in inspect.signature(init).parameters if name != "self"]
    )
    validate_parameter_constraints(
        owner._parameter_constraints,
        {name: getattr(owner, name) for name in names},
        caller_name=type(owner).__name__,
    )


class _DomainSplitter(BaseCrossValidator):
    """Base class: ``split`` takes ``sample_domain``, or ``groups`` in its place."""

    __metadata_request__split = {"sample_domain": True}
    _parameter_constraints: dict = {}

    def _iter_test_indices(self, X=None, y=None, groups=None):  # pragma: no cover
        raise NotImplementedError  # every subclass overrides split

    def split(self, X, y=None, groups=None, *, sample_domain=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Rows of all domains.
        y : array-like of shape (n_samples,), default=None
            Labels, with the unlabeled marker (``-1`` or ``nan``) on
            unlabeled target rows.
        groups : array-like of shape (n_samples,), default=None
            Taken as ``sample_domain`` when that is not given, so that the
            splitter works with metadata routing off
            (``search.fit(X, y, groups=sample_domain)``).
        sample_domain : array-like of shape (n_samples,), default=None
            Positive on source rows, negative on target rows. Routed by
            metadata routing when it is on.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        _validate_params(self)
        sample_domain = _domains(self, X, y, groups, sample_domain)
        yield from self._split(X, y, sample_domain)


class TargetKFold(_DomainSplitter):
    """K-fold over the labeled target rows; every other row always trains.

    The labeled target rows are split into ``n_splits`` folds; each fold is
    the test set once. The source rows and the unlabeled target rows are in
    every training set, so a transfer method always sees the whole source and
    the whole target distribution, and is scored on target labels it did not
    see. With :class:`SupervisedTargetScorer` this is cross-validation on the
    target: it picks hyperparameters for the target, where ordinary
    cross-validation picks them for the source.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2 and at most the number of labeled target
        rows (with ``stratify=True``: of the rows of the smallest class).
    shuffle : bool, default=False
        Whether to shuffle the labeled target rows before splitting them.
    stratify : bool, default=False
        Whether each fold keeps the class proportions of the labeled target
        rows (classification).
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows when ``shuffle=True``.

    See Also
    --------
    SourceTargetShuffleSplit : Holds out source rows and target rows.
    LeaveOneDomainOut : Holds out one source domain at a time.

    Notes
    -----
    The domains come from ``sample_domain`` when metadata routing is on and
    from ``groups`` when it is off:

    - routing on: ``GridSearchCV(pipe, grid, cv=TargetKFold()).fit(X, y,
      sample_domain=sd)``;
    - routing off: ``GridSearchCV(pipe, grid, cv=TargetKFold()).fit(X, y,
      groups=sd, step__sample_domain=sd)``, one ``step__sample_domain`` per
      pipeline step that takes it.

    The splitter sees ``y`` but not the estimator, so it reads the unlabeled
    marker from ``y`` alone: float ``y`` with ``nan`` or with values that are
    not whole numbers holds regression targets, where only ``nan`` is
    unlabeled (``-1.0`` is a value); other labels are classes, where ``-1``
    on a target row is unlabeled.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import TargetKFold
    >>> X = np.zeros((6, 1))
    >>> y = np.array([0, 1, 0, 1, -1, -1])
    >>> sample_domain = np.array([1, 1, -1, -1, -1, -1])
    >>> for train, test in TargetKFold(n_splits=2).split(
    ...         X, y, sample_domain=sample_domain):
    ...     print(train, test)
    [0 1 3 4 5] [2]
    [0 1 2 4 5] [3]
    """

    _parameter_constraints: dict = {
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "shuffle": ["boolean"],
        "stratify": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, n_splits=5, *, shuffle=False, stratify=False, random_state=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.stratify = stratify
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None, *, sample_domain=None):
        """Number of splits: ``n_splits``.

        Parameters
        ----------
        X, y, groups, sample_domain : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def _split(self, X, y, sample_domain, regression=None):
        is_target = sample_domain < 0
        if y is None:
            labeled_target = np.flatnonzero(is_target)
        else:
            if regression is None:
                regression = _is_regression_target(y)
            labeled = labeled_mask(y, sample_domain, regression=regression)
            labeled_target = np.flatnonzero(is_target & labeled)
        n_labeled = labeled_target.size
        if n_labeled < self.n_splits:
            raise ValueError(
                f"TargetKFold cannot make n_splits={self.n_splits} folds of "
                f"{n_labeled} labeled target row(s): every fold needs at least "
                "one. Lower n_splits or label more target rows."
            )
        if self.stratify and y is not None:
            y_labeled = np.asarray(y)[labeled_target]
            _, counts = np.unique(y_labeled, return_counts=True)
            if counts.min() < self.n_splits:
                raise ValueError(
                    f"TargetKFold(stratify=True) cannot make n_splits="
                    f"{self.n_splits} folds: the smallest class has only "
                    f"{counts.min()} labeled target row(s). Lower n_splits or "
                    "set stratify=False."
                )
            folds = StratifiedKFold(
                self.n_splits, shuffle=self.shuffle, random_state=self.random_state
            ).split(labeled_target, y_labeled)
        else:
            folds = KFold(
                self.n_splits, shuffle=self.shuffle, random_state=self.random_state
            ).split(labeled_target)
        everything = np.arange(_num_samples(X))
        for _, test_positions in folds:
            test = labeled_target[test_positions]
            yield np.setdiff1d(everything, test), test


class SourceTargetShuffleSplit(_DomainSplitter):
    """Random held-out rows from every domain; the test set mixes source and target.

    In each split, a fraction ``test_size`` of the rows of each domain is
    held out; in the target domains the labeled and the unlabeled rows are
    drawn from separately, so each test set gets its share of the few target
    labels. The test set therefore holds source rows (labeled) and target
    rows: what the unsupervised criteria need (importance-weighted
    validation scores the held-out source rows, prediction entropy the
    held-out target rows, circular validation and deep embedded validation
    both).

    Parameters
    ----------
    n_splits : int, default=5
        Number of random splits.
    test_size : float, default=0.2
        Fraction of the rows of each domain (and, in target domains, of its
        labeled and of its unlabeled rows) held out, rounded up; a group of
        a single row always trains.
    random_state : int, RandomState instance or None, default=None
        Draws the held-out rows.

    See Also
    --------
    TargetKFold : Test sets of labeled target rows only.

    Notes
    -----
    Pass the domains as ``sample_domain`` with metadata routing on, or as
    ``groups=sample_domain`` with routing off.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import SourceTargetShuffleSplit
    >>> X = np.zeros((10, 1))
    >>> sample_domain = np.array([1] * 5 + [-1] * 5)
    >>> cv = SourceTargetShuffleSplit(n_splits=1, test_size=0.4, random_state=0)
    >>> train, test = next(cv.split(X, sample_domain=sample_domain))
    >>> sample_domain[test]
    array([ 1,  1, -1, -1])
    """

    _parameter_constraints: dict = {
        "n_splits": [Interval(Integral, 1, None, closed="left")],
        "test_size": [Interval(RealNotInt, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_splits=5, *, test_size=0.2, random_state=None):
        self.n_splits = n_splits
        self.test_size = test_size
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None, *, sample_domain=None):
        """Number of splits: ``n_splits``.

        Parameters
        ----------
        X, y, groups, sample_domain : object
            Ignored; present for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def _split(self, X, y, sample_domain):
        labeled = (
            np.ones(sample_domain.size, bool)
            if y is None
            else labeled_mask(y, sample_domain, regression=_is_regression_target(y))
        )
        strata = [
            np.flatnonzero((sample_domain == domain) & (labeled == is_labeled))
            for domain in np.unique(sample_domain)
            for is_labeled in (True, False)
        ]
        strata = [rows for rows in strata if rows.size]
        rng = check_random_state(self.random_state)
        everything = np.arange(sample_domain.size)
        for _ in range(self.n_splits):
            test = []
            for rows in strata:
                n_test = min(int(np.ceil(self.test_size * rows.size)), rows.size - 1)
                test.append(rng.permutation(rows)[:n_test])
            test = np.sort(np.concatenate(test))
            yield np.setdiff1d(everything, test), test


class LeaveOneDomainOut(_DomainSplitter):
    """Hold out one source domain at a time; the target rows always train.

    With several source domains, each one in turn plays an unseen domain:
    the model is fitted on the other source domains and on every target row
    (labeled or not) and scored on the held-out domain's labeled rows. It
    measures how well a configuration carries over to a domain it was not
    fitted on, a proxy for the target when the target has no labels.

    The held-out rows are source rows (positive ``sample_domain``), so score
    them with a plain scorer such as ``"accuracy"``, not with
    :class:`SupervisedTargetScorer`, which scores target rows only.

    See Also
    --------
    TargetKFold : Test sets of labeled target rows.

    Notes
    -----
    Pass the domains as ``sample_domain`` with metadata routing on, or as
    ``groups=sample_domain`` with routing off.

    Examples
    --------
    >>> import numpy as np
    >>> from sktransfer.model_selection import LeaveOneDomainOut
    >>> X = np.zeros((5, 1))
    >>> sample_domain = np.array([1, 1, 2, 2, -1])
    >>> for train, test in LeaveOneDomainOut().split(X, sample_domain=sample_domain):
    ...     print(train, test)
    [2 3 4] [0 1]
    [0 1 4] [2 3]
    """

    def get_n_splits(self, X=None, y=None, groups=None, *, sample_domain=None):
        """Number of splits: the number of source domains.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features), default=None
            Rows of all domains; only their number is used.
        y : object
            Ignored.
        groups : array-like of shape (n_samples,), default=None
            Taken as ``sample_domain`` when that is not given.
        sample_domain : array-like of shape (n_samples,), default=None
            Domains of the rows.

        Returns
        -------
        n_splits : int
        """
        if sample_domain is None:
            sample_domain = groups
        if X is None and sample_domain is not None:
            X = np.empty((len(sample_domain), 0))
        sample_domain = _domains(self, X, None, None, sample_domain)
        return np.unique(sample_domain[sample_domain > 0]).size

    def _split(self, X, y, sample_domain):
        sources = np.unique(sample_domain[sample_domain > 0])
        if sources.size < 2:
            raise ValueError(
                "LeaveOneDomainOut needs at least 2 source domains (positive "
                f"sample_domain values), got {sources.tolist()}."
            )
        everything = np.arange(sample_domain.size)
        for domain in sources:
            test = np.flatnonzero(sample_domain == domain)
            yield np.setdiff1d(everything, test), test

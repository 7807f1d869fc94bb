"""Warnings point at the user's own call, not into scikit-learn."""

import warnings

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktransfer.datasets import make_domain_shift
from sktransfer.instance import NoLabeledTargetWarning, TrAdaBoostClassifier
from sktransfer.utils import hide_target_labels


def _caught(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    return [w for w in caught if issubclass(w.category, NoLabeledTargetWarning)]


def test_warning_in_fit_points_at_the_callers_line():
    X, y, sd = make_domain_shift(random_state=0)
    y = hide_target_labels(y, sd)
    clf = TrAdaBoostClassifier(n_estimators=2, random_state=0)
    caught = _caught(lambda: clf.fit(X, y, sample_domain=sd))
    assert [w.filename for w in caught] == [__file__]


def test_warning_through_a_pipeline_points_at_the_callers_line():
    X, y, sd = make_domain_shift(random_state=0)
    y = hide_target_labels(y, sd)
    pipe = make_pipeline(StandardScaler(), TrAdaBoostClassifier(n_estimators=2))
    caught = _caught(lambda: pipe.fit(X, y, tradaboostclassifier__sample_domain=sd))
    assert [w.filename for w in caught] == [__file__]

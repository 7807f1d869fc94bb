import numpy as np
import pytest

from sktransfer.datasets import make_domain_shift
from sktransfer.metrics import diagnose_shift
from sktransfer.utils import hide_target_labels


def test_reading_follows_the_severity_of_the_shift():
    readings = []
    for severity in (0.0, 1.0):
        X, y, sd = make_domain_shift(severity=severity, random_state=0)
        readings.append(diagnose_shift(X, y, sample_domain=sd, random_state=0))
    assert readings[0].reading.startswith("no measurable shift")
    assert readings[0].mmd_pvalue > 0.05
    assert readings[1].reading.startswith("strong covariate shift")
    assert readings[1].proxy_a_distance > 1.5 > readings[0].proxy_a_distance


def test_label_shift_is_read_from_the_labeled_rows_only():
    X, y, sd = make_domain_shift(shift="label", severity=1.0, random_state=0)
    y = hide_target_labels(y, sd, n_labeled=60, random_state=0)
    diagnosis = diagnose_shift(X, y, sample_domain=sd, random_state=0)
    assert -1 not in diagnosis.target_label_counts
    assert diagnosis.n_target_labels == 60
    assert diagnosis.label_shift > 0.15 and "label shift" in diagnosis.reading


def test_without_target_labels_it_says_so():
    X, y, sd = make_domain_shift(random_state=0)
    y = np.where(sd < 0, -1, y)
    diagnosis = diagnose_shift(X, y, sample_domain=sd, random_state=0)
    assert diagnosis.label_shift is None
    assert "no target labels" in diagnosis.reading


def test_needs_both_domains():
    X, y, sd = make_domain_shift(random_state=0)
    with pytest.raises(ValueError, match="diagnose_shift needs target rows"):
        diagnose_shift(X, y, sample_domain=np.abs(sd))

"""Helpers for the domain contract and for developers of estimators."""

from .._domain import (
    UNLABELED,
    BaseDomainAdapter,
    DomainAwareMixin,
    check_sample_domain,
    encode_classes,
    hide_target_labels,
    labeled_mask,
    source_target_merge,
    source_target_split,
    validate_domain_data,
)
from ._persistence import dump, get_trusted_types, load
from .discovery import all_estimators

__all__ = [
    "UNLABELED",
    "BaseDomainAdapter",
    "DomainAwareMixin",
    "all_estimators",
    "check_sample_domain",
    "dump",
    "encode_classes",
    "get_trusted_types",
    "hide_target_labels",
    "labeled_mask",
    "load",
    "source_target_merge",
    "source_target_split",
    "validate_domain_data",
]

"""Placeholder, being written."""


def fetch_office_caltech(*args, **kwargs):
    raise NotImplementedError

"""Placeholder, being written."""


def fetch_vlcs_mini(*args, **kwargs):
    raise NotImplementedError

"""Placeholder, being written."""


def get_data_home(*args, **kwargs):
    raise NotImplementedError

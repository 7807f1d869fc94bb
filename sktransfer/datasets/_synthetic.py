"""Placeholder, being written."""


def make_domain_shift(*args, **kwargs):
    raise NotImplementedError


def load_shifted_digits(*args, **kwargs):
    raise NotImplementedError

"""Placeholder, being written."""


def fetch_amazon_reviews(*args, **kwargs):
    raise NotImplementedError

# conf.py and its helper are Sphinx configuration, not tests: keep pytest
# (which runs with --doctest-modules) from importing them.
collect_ignore_glob = ["*.py"]

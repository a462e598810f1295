"""Test harness for HIM apps: personas, factories and generic policy-contract mixins.

Fixtures are exposed by the pytest plugin ``him.testing.fixtures`` (registered in
tests/conftest.py); a model's tests declare ``PolicyContract`` from
``him.testing.mixins`` and get the access-policy and trail checks for free.
"""

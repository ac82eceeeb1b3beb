"""The fixtures come from crmcore.testing (a pytest11 plugin); nothing to add here yet.

Test files are imported by basename, so name plugin tests tests/plugins/<name>/test_<name>_*.py
and import shared helpers from crmcore.testing, never from a conftest.
"""

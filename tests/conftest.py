"""Fixtures of the core's own tests; the general ones come from crmcore.testing (pytest11).

Test files are imported by basename, so name plugin tests tests/plugins/<name>/test_<name>_*.py
and import shared helpers from crmcore.testing, never from a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crmcore.app import Crm


@pytest.fixture
def wf(crm_url: str, plugin_installer: Any) -> Iterator[Crm]:
    """A Crm with the throw-away workflow plugin of tests/workflow_kit.py enabled, its staff
    (one user per role) and client KA1."""
    from workflow_kit import open_with_plugin

    crm = open_with_plugin(crm_url, plugin_installer)
    try:
        yield crm
    finally:
        crm.close()

import pytest


@pytest.fixture
def crm_plugins() -> list[str]:
    return ["power"]


@pytest.fixture
def power(crm):  # type: ignore[no-untyped-def]
    """The power plugin's service on a database with its staff (power_kit.STAFF) and KA1."""
    from power_kit import setup

    return setup(crm)

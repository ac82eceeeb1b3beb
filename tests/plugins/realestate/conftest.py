import pytest


@pytest.fixture
def crm_plugins() -> list[str]:
    return ["realestate"]


@pytest.fixture
def re(crm):  # type: ignore[no-untyped-def]
    """The plugin's service on a database with staff, client KA1, project HY1 and its units."""
    from realestate_kit import setup

    return setup(crm)

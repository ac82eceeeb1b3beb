import pytest


@pytest.fixture
def crm_plugins() -> list[str]:
    return ["rail"]


@pytest.fixture
def kit(crm):  # type: ignore[no-untyped-def]
    """Staff, stations and clients KA1/KA2 for the rail tests (see rail_kit.Kit)."""
    from rail_kit import Kit

    return Kit(crm)

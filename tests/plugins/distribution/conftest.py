"""Fixtures of the distribution plugin's tests: staff, products, scored and registered clients.

Ten clients K0..K9 scored 95, 90, ..., 50 on CLS-SCORE-1 (run as of 2026-01-05 on 2025):
K0-K1 class A, K2-K4 B, K5-K8 C, K9 D. Each is a distributor at the credit grade of its score
class, with a limit of 100,000 (A, B), 0 (C, D). Product P1's control price is 100.00.
The staff work at the head office (总部) with the owner lina, so each may read every
distributor (CORE-CONF-2).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from workflow_kit import china, freeze

from crmcore import Crm, NewClient, NewUnit, NewUser
from crmcore.testing import score_clients

STAFF = {
    "lina": "account_manager",
    "chen": "finance",
    "sun": "dist_department_head",
    "zhou": "dist_general_manager",
    "wu": "credit_committee",
    "zheng": "dist_logistics",
}
CLASSES = {f"K{i}": "AABBBCCCCD"[i] for i in range(10)}


@pytest.fixture
def crm_plugins() -> list[str]:
    return ["distribution"]


@pytest.fixture
def shop(crm: Crm, admin) -> Iterator[SimpleNamespace]:
    """The distribution office on 5 January 2026."""
    from crmcore_distribution.services import DistributionService

    freeze(crm, china(2026, 1, 5, 9))
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
    for login, role in STAFF.items():
        crm.users.add(admin, NewUser(login=login, name=login, roles=(role,)))
        crm.org.add_member(admin, "HQ", login)
    for code in CLASSES:
        crm.clients.add(admin, NewClient(name=f"经销商{code}", code=code, owner="lina"))
    crm.clients.add(admin, NewClient(name="未登记客户", code="X1", owner="lina"))
    score_clients(crm, admin, {code: 95 - 5 * i for i, code in enumerate(CLASSES)})
    service = DistributionService(crm)
    for code, cls in CLASSES.items():
        service.register(admin, code, grade=cls, limit="100000" if cls in "AB" else "0")
    service.add_product(admin, "P1", "金鹏电缆", "100.00", unit="卷")
    service.add_product(admin, "P2", "金鹏开关", "250.00", unit="台")
    yield SimpleNamespace(
        crm=crm,
        service=service,
        admin=admin,
        **{login: crm.actor(login) for login in STAFF},
    )

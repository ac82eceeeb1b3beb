"""The one place security code asks for its policy objects (defaults are RULES.md's numbers).

Until ``crmcore.policies`` (issue 3) is merged, the policy in force is the class's defaults.
When it lands, register these classes under their rule IDs and make :func:`in_force` return
``tx.crm.policies.in_force(tx, KEYS[cls])``: no caller changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from crmcore.domain.archives import ArchivePolicy
from crmcore.domain.security import ConfidentialityPolicy, ManagementLevelPolicy, OwnershipPolicy

if TYPE_CHECKING:
    from crmcore.app import Tx

P = TypeVar("P")

#: policy class -> the rule ID it is registered under
KEYS: dict[type, str] = {
    ConfidentialityPolicy: "CORE-CONF-1",
    OwnershipPolicy: "CORE-OWN-1",
    ManagementLevelPolicy: "CLS-AMT-2-LEVELS",
    ArchivePolicy: "CORE-ARC-1",
}


def in_force(tx: Tx, cls: type[P]) -> P:
    cache = tx.state.setdefault("policies", {})
    if cls not in cache:
        cache[cls] = cls()
    return cache[cls]  # type: ignore[no-any-return]

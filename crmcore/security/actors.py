"""The actor that goes into every service call.

Services never ask "who is logged in": the caller hands them an :class:`Actor`, built once
from the user's record and roles. The CLI builds one per command, an integrator per request.
``door`` says how the actor came in (api, cli, import, export), which the audit trail records.
"""

from __future__ import annotations

from attrs import field, frozen

from crmcore.domain.security import Clearance
from crmcore.errors import PermissionDenied

#: Built-in roles and what they allow. Plugins add roles and permissions through a hook.
#: "*" means every permission; "client.*" every permission under "client.".
#:
#: Permissions say what a user may *do*; which clients they may do it to is decided by the
#: access model (owner, co-contact, unit tree, grants, clearance: crmcore.security.access).
#: ``access.all_clients`` lifts the relationship condition (not the clearance): audit/legal
#: must be able to look at any archive. ``personal.reveal`` shows an ID number in clear.
#: Workflow steps are not permissions: a transition names a role, and the actor must also be
#: able to read the client (security.access.may_act). Only admin holds policy.admin (change
#: policies) and calendar.admin (load holiday schedules).
BUILT_IN_ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset({"*"}),
    "director": frozenset(  # key-account director (大客户总监)
        {
            "client.*",
            "contact.*",
            "log.*",
            "memo.*",
            "report.*",
            "archive.*",
            "workflow.*",
            "org.assign",
            "access.grant",
            "handover.run",
            "policy.read",
        }
    ),
    "account_manager": frozenset(
        {
            "client.read",
            "client.write",
            "contact.*",
            "log.*",
            "memo.write",
            "archive.write",
            "workflow.read",
            "workflow.start",
            "policy.read",
        }
    ),
    "finance": frozenset(
        {
            "client.read",
            "log.read",
            "log.write",
            "report.*",
            "archive.write",
            "workflow.read",
            "workflow.start",
            "policy.read",
        }
    ),
    "audit_legal": frozenset(
        {
            "client.read",
            "log.read",
            "audit.read",
            "access.all_clients",
            "personal.reveal",
            "workflow.read",
            "report.read",
            "policy.read",
        }
    ),
    "read_only": frozenset({"client.read", "log.read", "workflow.read", "policy.read"}),
}


@frozen
class Actor:
    user_id: int
    login: str
    roles: frozenset[str]
    permissions: frozenset[str]
    door: str = "api"
    #: how far the user is cleared to read; deny by default
    clearance: Clearance = Clearance.PUBLIC
    #: the organisation units the user belongs to, and those plus every unit below them
    units: frozenset[int] = field(default=frozenset())
    scope: frozenset[int] = field(default=frozenset())

    def can(self, permission: str) -> bool:
        if "*" in self.permissions or permission in self.permissions:
            return True
        prefix = permission.split(".", 1)[0]
        return f"{prefix}.*" in self.permissions

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(f"user {self.login} lacks the permission {permission!r}")


def permissions_of(roles: frozenset[str], catalogue: dict[str, frozenset[str]]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= catalogue.get(role, frozenset())
    return frozenset(granted)

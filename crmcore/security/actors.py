"""The actor that goes into every service call.

Services never ask "who is logged in": the caller hands them an :class:`Actor`, built once
from the user's record and roles. The CLI builds one per command, an integrator per request.
``door`` says how the actor came in (api, cli, import, export), which the audit trail records.
"""

from __future__ import annotations

from attrs import frozen

from crmcore.errors import PermissionDenied

#: Built-in roles and what they allow. Plugins add roles and permissions through a hook.
#: "*" means every permission; "client.*" every permission under "client.".
#: Workflow steps are not permissions: a transition names a role, see security.access.may_act.
#: Only admin holds policy.admin (change policies) and calendar.admin (load holiday schedules).
#: classification.figures records yearly figures, .score scorecards, .run runs a scheme.
BUILT_IN_ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset({"*"}),
    "director": frozenset(
        {
            "client.*",
            "contact.*",
            "log.*",
            "memo.*",
            "report.*",
            "workflow.*",
            "policy.read",
            "classification.*",
        }
    ),
    "account_manager": frozenset(
        {
            "client.read",
            "client.write",
            "classification.figures",
            "contact.*",
            "log.*",
            "memo.write",
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
            "workflow.read",
            "workflow.start",
            "policy.read",
            "classification.*",
        }
    ),
    "audit_legal": frozenset(
        {"client.read", "log.read", "audit.read", "workflow.read", "report.read", "policy.read"}
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

"""Errors that reach people.

Every error a user can cause is a :class:`CrmError` with one clear line: the field, the rule it
breaks and what was wrong. The CLI prints that line and exits with the error's code, so scripts
can tell bad input from a missing record or a conflict without parsing text.
"""

from __future__ import annotations


class CrmError(Exception):
    """Base of every error crmcore raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.message} ({self.rule})" if self.rule else self.message


class InvalidInput(CrmError):
    """A value breaks a rule; ``field`` names the value as the user typed it."""

    exit_code = 3

    def __init__(self, field: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(message, rule=rule)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {super().__str__()}"


class NotFound(CrmError):
    exit_code = 4


class Conflict(CrmError):
    """The request is valid but the data's current state forbids it (duplicate, wrong state)."""

    exit_code = 5


class PermissionDenied(CrmError):
    exit_code = 6


class PluginError(CrmError):
    """A plugin failed; the message always names it so an admin knows whom to call."""

    exit_code = 7

    def __init__(self, plugin: str, message: str, *, rule: str | None = None) -> None:
        super().__init__(f"plugin {plugin}: {message}", rule=rule)
        self.plugin = plugin


class NotInitialised(CrmError):
    exit_code = 8


class AuditFailure(CrmError):
    """The audit trail does not verify: an event was modified, removed, added or moved."""

    exit_code = 9


EXIT_CODES = {
    0: "success",
    1: "unexpected error (a bug: please report it)",
    2: "command-line usage error",
    InvalidInput.exit_code: "invalid input: a value breaks a rule",
    NotFound.exit_code: "not found: unknown client, user, plugin or record",
    Conflict.exit_code: "conflict: duplicate, or the record is in the wrong state",
    PermissionDenied.exit_code: "permission denied",
    PluginError.exit_code: "a plugin failed or is misconfigured",
    NotInitialised.exit_code: "database missing or not migrated: run `crm init` or `crm db upgrade`",
    AuditFailure.exit_code: "the audit trail failed verification (tampering or damage)",
}

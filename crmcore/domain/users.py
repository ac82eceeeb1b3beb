"""Staff who use the CRM (users) and the roles they hold."""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

from crmcore.domain import checks
from crmcore.domain.security import Clearance


@frozen(kw_only=True)
class NewUser:
    login: str = field(
        converter=checks.stripped,
        validator=[
            checks.text(64, required=True),
            checks.pattern(r"[a-z0-9][a-z0-9_.-]*", "a login (lower-case letters, digits, _ . -)"),
        ],
    )
    name: str = field(converter=checks.stripped, validator=checks.text(100, required=True))
    email: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address"),
    )
    phone: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"[0-9+()\- ]{3,40}", "a phone number"),
    )
    roles: tuple[str, ...] = field(default=("account_manager",), converter=tuple)
    #: None: the policy's default for new users (CORE-CONF-1)
    clearance: Clearance | None = field(
        default=None, converter=lambda v: None if v is None else Clearance.parse(v)
    )


@frozen(kw_only=True)
class User:
    id: int
    login: str
    name: str
    email: str | None
    phone: str | None
    roles: tuple[str, ...]
    active: bool
    created_at: datetime
    clearance: Clearance = Clearance.PUBLIC
    units: tuple[str, ...] = ()  # codes of the organisation units the user belongs to

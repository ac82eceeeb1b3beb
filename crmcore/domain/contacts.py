"""A client's key people (CORE-REC-2). Their profile is personal data (see CORE-CONF)."""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

from crmcore.domain import checks


@frozen(kw_only=True)
class NewContact:
    name: str = field(
        converter=checks.stripped, validator=checks.text(50, required=True, rule="CORE-REC-2")
    )
    position: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(100)
    )
    phone: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"[0-9+()\- ]{3,40}", "a phone number"),
    )
    email: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"[^@\s]+@[^@\s]+\.[^@\s]+", "an email address"),
    )
    notes: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(2000)
    )
    #: character, interests, family, education, age, background (CORE-REC-2)
    profile: dict[str, str] = field(factory=dict)
    #: resident ID number (居民身份证号), stored encrypted, shown masked (CORE-CONF-5)
    id_number: str | None = field(
        default=None,
        converter=lambda v: checks.upper(checks.blank_to_none(v)),
        validator=checks.id_number,
        repr=False,  # never in a traceback or log line
    )


@frozen(kw_only=True)
class Contact:
    id: int
    client_code: str
    name: str
    position: str | None
    phone: str | None
    email: str | None
    notes: str | None
    profile: dict[str, str] | None  # None when masked
    active: bool
    created_at: datetime
    id_number: str | None = None  # masked display form, e.g. 110***********1234
    masked: tuple[str, ...] = ()  # fields withheld from this reader (shown as None)

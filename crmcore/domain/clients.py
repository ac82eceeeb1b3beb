"""Client records (客户档案), rules CORE-REC-1/2 and CORE-OWN-1."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from attrs import field, fields, frozen

from crmcore.domain import checks
from crmcore.domain.security import Clearance, Importance

CODE_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"


class ClientStatus(enum.StrEnum):
    PROSPECT = "prospect"  # 潜在客户
    ACTIVE = "active"  # 在册客户
    DORMANT = "dormant"  # 休眠客户
    ARCHIVED = "archived"  # 已归档: never deleted, restorable


class ClientSize(enum.StrEnum):
    LARGE = "large"  # 大型
    MEDIUM = "medium"  # 中型
    SMALL = "small"  # 小型
    MICRO = "micro"  # 微型


@frozen(kw_only=True)
class NewClient:
    """What it takes to register a client; every field is checked on construction."""

    name: str = field(
        converter=checks.stripped, validator=checks.text(200, required=True, rule="CORE-REC-1")
    )
    code: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(CODE_PATTERN, "a client code (letters, digits, _ . -, max 32)"),
    )
    credit_code: str | None = field(
        default=None,
        converter=checks.credit_code_form,
        validator=checks.credit_code,
    )
    legal_rep: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(50, rule="CORE-REC-1")
    )
    address: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(200, rule="CORE-REC-1")
    )
    postcode: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"\d{6}", "a 6-digit postcode", rule="CORE-REC-1"),
    )
    phone: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"[0-9+()\- ]{3,40}", "a phone number", rule="CORE-REC-1"),
    )
    fax: str | None = field(
        default=None,
        converter=checks.blank_to_none,
        validator=checks.pattern(r"[0-9+()\- ]{3,40}", "a fax number", rule="CORE-REC-1"),
    )
    business_scope: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(2000, rule="CORE-REC-1")
    )
    registered_capital: Decimal | None = field(
        default=None, validator=checks.amount(rule="CORE-REC-1")
    )
    region: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(100, rule="CORE-REC-2")
    )
    industry: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(100, rule="CORE-REC-2")
    )
    size: ClientSize | None = field(
        default=None, converter=checks.enum_of(ClientSize, rule="CORE-REC-2")
    )
    status: ClientStatus = field(
        default=ClientStatus.ACTIVE,
        converter=checks.enum_of(ClientStatus),
        validator=checks.one_of([ClientStatus.PROSPECT, ClientStatus.ACTIVE, ClientStatus.DORMANT]),
    )
    profile: dict[str, str] = field(factory=dict)
    #: how much the client matters (CORE-OWN-1/3): key, important or normal
    importance: Importance | None = field(
        default=None, converter=checks.enum_of(Importance, rule="CORE-OWN-3")
    )
    #: login of the responsible account manager (CORE-OWN-1); None: the assignment rules'
    #: manager (CORE-OWN-3), else whoever registers the client
    owner: str | None = None


#: Fields ``crm client edit`` may change; the code is the client's identity, the owner moves
#: through a handover (CORE-OWN-2), the status through archive and restore.
EDITABLE_FIELDS = frozenset(f.name for f in fields(NewClient)) - {"code", "owner"}


@frozen(kw_only=True)
class Client:
    """A client as a reader sees it (after masking, once access control applies)."""

    id: int
    code: str
    name: str
    credit_code: str | None
    legal_rep: str | None
    address: str | None
    postcode: str | None
    phone: str | None
    fax: str | None
    business_scope: str | None
    registered_capital: Decimal | None
    region: str | None
    industry: str | None
    size: ClientSize | None
    status: ClientStatus
    profile: dict[str, str] | None  # None when masked
    owner: str | None
    co_contacts: tuple[str, ...]
    first_contact_by: str | None
    first_contact_at: datetime | None
    archived_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    importance: Importance | None = None
    clearance: Clearance = Clearance.CONFIDENTIAL  # the record's secrecy level (CORE-CONF-1)
    unit: str | None = None  # code of the organisation unit it is assigned to (CORE-OWN-3)
    custodian: str | None = None  # login of the archive custodian (CORE-ARC-2)
    masked: tuple[str, ...] = ()  # fields withheld from this reader (shown as None)


def credit_code_taken(credit_code: str, holder: str | None) -> str:
    """CORE-REC-1's refusal of a second client with the same credit code.

    ``holder`` is the other client's code, None when the user may not read that client: the
    message must not disclose a client the user could not look up (CORE-CONF-2).
    """
    other = f"client {holder}" if holder else "another client, which you may not read"
    return f"{credit_code} is already registered for {other}"

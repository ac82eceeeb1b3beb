"""Contact logs (接触记录, CORE-LOG-1) and negotiation memos (谈判备忘录, CORE-LOG-2)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from attrs import field, frozen

from crmcore.domain import checks
from crmcore.errors import InvalidInput


class Channel(enum.StrEnum):
    VISIT = "visit"  # 拜访
    PHONE = "phone"  # 电话
    LETTER = "letter"  # 信函
    FAX = "fax"  # 传真
    EMAIL = "email"  # 电子邮件
    MEETING = "meeting"  # 会谈


def _aware(_inst: object, attribute: object, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(getattr(attribute, "name", "occurred_at"), "needs a time zone")


def _due_after_occurrence(inst: NewLog, _attribute: object, value: date | None) -> None:
    if value is not None and inst.next_action is None:
        raise InvalidInput("next_action_due", "is set but next_action is empty", rule="CORE-LOG-1")


@frozen(kw_only=True)
class NewLog:
    channel: Channel = field(converter=checks.enum_of(Channel, rule="CORE-LOG-1"))
    summary: str = field(
        converter=checks.stripped, validator=checks.text(4000, required=True, rule="CORE-LOG-1")
    )
    occurred_at: datetime | None = field(default=None, validator=_aware)  # None: now
    participants: tuple[str, ...] = field(default=(), converter=tuple)
    next_action: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(200)
    )
    next_action_due: date | None = field(default=None, validator=_due_after_occurrence)
    # CORE-LOG-3: the client asked or wrote to us; the next dealing that is not an inquiry
    # answers it, and must come within the policy's hours (24).
    inquiry: bool = False


@frozen(kw_only=True)
class ContactLog:
    id: int
    client_code: str
    channel: Channel
    occurred_at: datetime
    author: str
    participants: tuple[str, ...]
    summary: str | None  # None when masked
    next_action: str | None
    next_action_due: date | None
    masked: tuple[str, ...] = ()  # fields withheld from this reader (shown as None)
    inquiry: bool = False


@frozen(kw_only=True)
class NewMemo:
    title: str = field(
        converter=checks.stripped, validator=checks.text(200, required=True, rule="CORE-LOG-2")
    )
    body: str = field(validator=checks.text(20000, required=True, rule="CORE-LOG-2"))
    signers: tuple[str, ...] = field(converter=tuple)  # logins of every team member

    @signers.validator
    def _check_signers(self, attribute: object, value: tuple[str, ...]) -> None:
        if not value:
            raise InvalidInput("signers", "a memo needs at least one signer", rule="CORE-LOG-2")
        if len(set(value)) != len(value):
            raise InvalidInput("signers", "a signer is listed twice", rule="CORE-LOG-2")


@frozen(kw_only=True)
class Signature:
    signer: str
    signed_at: datetime | None


@frozen(kw_only=True)
class Memo:
    id: int
    client_code: str
    title: str
    body: str | None  # None when masked
    author: str
    created_at: datetime
    signatures: tuple[Signature, ...]
    masked: tuple[str, ...] = ()  # fields withheld from this reader (shown as None)

    @property
    def complete(self) -> bool:
        """Rule CORE-LOG-2: signed by every member of the team."""
        return all(s.signed_at is not None for s in self.signatures)

"""Recurring obligations (例行职责): duties that fall due on dates, and whether they were met.

An obligation turns the records into dated duties for a window of due dates: "answer this
inquiry by 10:00 tomorrow", "contact class A client C000007 by the end of 2026Q3", "send the
2026Q3 credit report by 6 October". Each duty is done on time, done late, open, or overdue.
Duties are computed from the records every time (contact logs, or an explicit "done" entry for
duties fulfilled by an act, :meth:`crm.obligations.record_done`), so a duty and the records it
is checked against can never disagree.

Core declares CORE-LOG-3 (answer inquiries in 24 hours, contact class A clients quarterly) and
CORE-ARC-3 (credit report and sales analysis by the 6th, head office consolidation by the 8th).
A plugin declares its own::

    def overdue_meter_tickets(ctx: DutyContext) -> Iterable[Duty]:
        for ticket in ...:  # read your tables with ctx.tx.conn
            yield Duty(obligation="PWR-MTR-1", subject=ticket.no, due_at=..., done_at=...)

    @hookimpl
    def crm_obligations(register):
        register(Obligation("PWR-MTR-1", "Meter work ticket returned in 5 days", overdue_meter_tickets))

``duties(ctx)`` must yield the duties whose due moment falls within ``ctx.start`` ..
``ctx.end`` (dates in China time). Read numbers from policies (``ctx.policy(key, at)``),
never from literals.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen

from crmcore.errors import PluginError

if TYPE_CHECKING:
    from crmcore.app import Tx

KEY = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+(\.[a-z0-9_]+)?")


class DutyStatus(enum.StrEnum):
    DONE = "done"  # done on time (按时)
    LATE = "late"  # done after the due moment (逾期完成)
    OPEN = "open"  # not done, not yet due
    OVERDUE = "overdue"  # not done and past due (逾期未办)


@frozen(kw_only=True)
class Duty:
    obligation: str
    subject: str  # what it is about: a client code, a period's report, a plugin record
    due_at: datetime  # aware; a day deadline is the end of that day in China time
    done_at: datetime | None = None
    client_code: str | None = None
    assignee: str | None = None  # login of the person it waits on
    role: str | None = None  # or the role it waits on
    period: str | None = None
    detail: str = ""

    def status(self, now: datetime) -> DutyStatus:
        if self.done_at is not None:
            return DutyStatus.DONE if self.done_at <= self.due_at else DutyStatus.LATE
        return DutyStatus.OVERDUE if now > self.due_at else DutyStatus.OPEN


@frozen
class DutyContext:
    """What an obligation sees: the transaction and the window of due dates asked for."""

    tx: Tx
    start: date
    end: date

    def policy(self, key: str, at: datetime | date | None = None) -> Any:
        return self.tx.crm.policies.in_force(self.tx, key, at)


@frozen
class Obligation:
    key: str  # the rule ID, optionally with a part: "CORE-LOG-3.answer"
    title: str
    duties: Callable[[DutyContext], Iterable[Duty]]
    title_zh: str = ""
    done_by_record: bool = False  # fulfilled by `crm obligations done KEY PERIOD`

    @property
    def rule(self) -> str:
        return self.key.split(".")[0]


@frozen
class Registered:
    owner: str
    obligation: Obligation


def check_obligation(owner: str, obligation: object, known: Mapping[str, Registered]) -> None:
    if not isinstance(obligation, Obligation):
        raise PluginError(owner, f"crm_obligations registered {obligation!r}, not an Obligation")
    if not KEY.fullmatch(obligation.key):
        raise PluginError(
            owner, f"obligation {obligation.key!r}: the key is a rule ID such as PWR-MTR-1"
        )
    if obligation.key in known:
        raise PluginError(
            owner,
            f"obligation {obligation.key} is already registered by {known[obligation.key].owner}",
        )
    if not callable(obligation.duties):
        raise PluginError(owner, f"obligation {obligation.key}: duties is not callable")

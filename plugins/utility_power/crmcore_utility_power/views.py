"""What the power plugin's reads return: the same objects feed the Python API, JSON and tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from attrs import frozen

from crmcore_utility_power.domain import FeeLine


@frozen(kw_only=True)
class ProfileVersion:
    version: int
    voltage: str
    contracted_capacity_kva: Decimal
    load_class: str | None
    priority: str | None
    annual_consumption_kwh: Decimal | None
    annual_revenue: Decimal | None
    credit_status: str | None
    standing: str | None
    business_condition: str | None
    source: str
    recorded_at: datetime
    recorded_by: str
    #: fields withheld from this reader (None above): figures need power.figures.read
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class ProfileView:
    """PWR-KA-1: the current profile, the account manager, and every earlier version."""

    client_code: str
    client_name: str
    industry: str | None
    size: str | None
    region: str | None
    importance: str | None
    unit: str | None  # the organisation unit holding the client (CORE-OWN-3)
    account_manager: str | None
    current: ProfileVersion | None
    history: tuple[ProfileVersion, ...]
    accounts: tuple[str, ...]  # billing accounts opened for the client (建帐立卡)


@frozen(kw_only=True)
class ClockLine:
    name: str
    rule: str
    days: int
    unit: str
    due: date
    stopped_at: datetime | None
    outcome: str | None
    overdue: bool
    paused: bool


@frozen(kw_only=True)
class PlanRevision:
    revision: int
    quote_number: str
    voltage: str
    capacity_kva: Decimal
    sources: tuple[str, ...]
    fees: tuple[FeeLine, ...] | None  # None when withheld (PWR-FEE-1, power.quotes.read)
    total: Decimal | None
    pay_into: str | None
    note: str | None
    recorded_at: datetime
    recorded_by: str
    #: fields withheld from this reader (None above)
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class Extension:
    seq: int
    asked_on: date
    reason: str
    months: int
    valid_until_before: date
    valid_until: date


@frozen(kw_only=True)
class Validity:
    """PWR-PLAN-1: from the notice until works start."""

    notified_on: date
    plan_revision: int
    period_months: int
    valid_until: date  # after extensions
    extensions: tuple[Extension, ...]
    expired: bool  # past valid_until without works started
    works_started_on: date | None
    quote_document: int | None  # the quote as given, in the client's archive (CORE-ARC-1)


@frozen(kw_only=True)
class Inspection:
    kind: str  # works | acceptance
    seq: int
    inspected_on: date
    passed: bool | None
    findings: str | None
    rectifications: tuple[str, ...]
    fee: Decimal  # re-inspection fee charged (复验费), PWR-ACC-1
    recorded_by: str


@frozen(kw_only=True)
class ChecklistItem:
    code: str
    label_zh: str
    filed: bool


@frozen(kw_only=True)
class ApplicationView:
    """One application and everything recorded about it (``crm power status``)."""

    number: str
    client_code: str
    client_name: str
    kind: str
    voltage: str
    capacity_kva: Decimal
    sources: int
    address: str | None
    applied_on: date
    accepted_on: date | None
    documents: tuple[str, ...]
    missing_documents: tuple[str, ...]
    workflow_id: int
    stage: str
    stage_label: str
    closed: bool
    waiting_for: tuple[str, ...]
    next_steps: tuple[str, ...]
    clocks: tuple[ClockLine, ...]
    overdue: bool
    survey: dict[str, object] | None
    plans: tuple[PlanRevision, ...]
    validity: Validity | None
    works: dict[str, object] | None
    inspections: tuple[Inspection, ...]
    completion: tuple[ChecklistItem, ...]  # empty until the report is filed
    completion_filed_on: date | None
    contract: dict[str, object] | None  # number None and named in "masked" when withheld
    meter_ticket: dict[str, object] | None
    account: str | None
    fees_due: Decimal | None  # the plan's fees plus re-inspection fees; None if they are masked

    @property
    def plan(self) -> PlanRevision | None:
        return self.plans[-1] if self.plans else None


@frozen(kw_only=True)
class ApplicationSummary:
    number: str
    client_code: str
    client_name: str
    kind: str
    voltage: str
    capacity_kva: Decimal
    sources: int
    stage: str
    stage_label: str
    due: date | None
    overdue: bool
    valid_until: date | None


@frozen(kw_only=True)
class TimelineEntry:
    at: datetime
    actor: str
    what: str
    detail: str
    rule: str | None


@frozen(kw_only=True)
class QuoteDocument:
    """The quote (供电方案答复单) of one plan revision: a fixed text made from stored data."""

    number: str
    application: str
    revision: int
    text: str

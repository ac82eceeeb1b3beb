"""RAIL-VOL-1/2: the annual volume (年度运量) and how it is approved.

For plan year Y the client fills in the annual volume form (大客户年度运量表: total, main
directions, consignee volumes, direct-train proposals), signs and seals it and files it with
the railway bureau by 10 December of Y-1; the bureau verifies it against the client's
contracts and last year's actuals, agrees a proposal with the client, signs and reports it by
the 20th; the ministry signs by the 31st. The volume takes effect when all three have signed
and sealed (「三方签字盖章后生效」). Each party signs the figures it stands behind: the bureau
and the ministry may change what the party before them signed.

A step taken after its deadline is recorded only when the one recording it says so (the late
flag): nothing is ever silently on time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from crmcore import InvalidInput
from crmcore.domain import checks
from crmcore.policies import between

from .policies import VolumeDeadlines
from .stations import station_code

RULE = "RAIL-VOL-1"
GROWTH_RULE = "RAIL-VOL-2"
TONNES = checks.amount(places=3, rule=RULE)


class Stage(enum.StrEnum):
    """Who signs, in order."""

    CLIENT = "client"  # 大客户: files the form
    BUREAU = "bureau"  # 铁路局: verifies, agrees a proposal with the client, reports
    MINISTRY = "ministry"  # 铁道部: coordinates and signs; the volume takes effect

    @property
    def day_field(self) -> str:
        return f"{self.value}_day"

    @property
    def previous(self) -> Stage | None:
        order = list(Stage)
        index = order.index(self)
        return order[index - 1] if index else None

    @property
    def next(self) -> Stage | None:
        order = list(Stage)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


def _optional_code(value: Any) -> Any:
    return station_code(checks.blank_to_none(value))


def _lines(cls: type) -> attrs.Converter:  # type: ignore[type-arg]
    """Lines of a form, as objects or as plain data (a JSON form); errors name the line."""

    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> tuple[Any, ...]:
        from crmcore.convert import structure

        if value is None:
            return ()
        if isinstance(value, (str, Mapping)):
            raise InvalidInput(attribute.name, "must be a list", rule=RULE)
        result = []
        for i, item in enumerate(value):
            if isinstance(item, cls):
                result.append(item)
                continue
            if not isinstance(item, Mapping):
                raise InvalidInput(f"{attribute.name}.{i}", "must be an object", rule=RULE)
            try:
                result.append(structure(item, cls))
            except InvalidInput as exc:
                raise InvalidInput(
                    f"{attribute.name}.{i}.{exc.field}", exc.message, rule=exc.rule or RULE
                ) from None
        return tuple(result)

    return attrs.Converter(convert, takes_self=True, takes_field=True)


@frozen(kw_only=True)
class Direction:
    """A main direction (主要去向): the destination bureau and its tonnage."""

    bureau: str = field(converter=checks.stripped, validator=checks.text(50, required=True))
    tonnage: Decimal = field(validator=TONNES)


@frozen(kw_only=True)
class ConsigneeVolume:
    """A consignee's volume (收货人运量), optionally at its destination station."""

    name: str = field(converter=checks.stripped, validator=checks.text(100, required=True))
    tonnage: Decimal = field(validator=TONNES)
    station: str | None = field(default=None, converter=_optional_code)


@frozen(kw_only=True)
class TrainProposal:
    """A direct-train proposal (直达列车方案建议): trains a year between two stations."""

    origin: str = field(converter=station_code, validator=checks.text(10, required=True))
    destination: str = field(converter=station_code, validator=checks.text(10, required=True))
    trains: int = field(validator=between(1, 100_000, unit="trains"))
    tonnage: Decimal = field(validator=TONNES)
    note: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(500)
    )

    @property
    def label(self) -> str:
        return f"{self.origin}-{self.destination}"


@frozen(kw_only=True)
class VolumeFigures:
    """What a party signs: the total for the year and its breakdowns, in tonnes.

    ``contracted`` is the volume under the client's production, transport and sales contracts
    (产运需购销合同), which the bureau verifies the total against.
    """

    total: Decimal = field(validator=TONNES)
    contracted: Decimal | None = field(default=None, validator=TONNES)
    directions: tuple[Direction, ...] = field(default=(), converter=_lines(Direction))
    consignees: tuple[ConsigneeVolume, ...] = field(default=(), converter=_lines(ConsigneeVolume))
    trains: tuple[TrainProposal, ...] = field(default=(), converter=_lines(TrainProposal))

    def __attrs_post_init__(self) -> None:
        if self.total <= 0:
            raise InvalidInput("total", f"must be more than 0 t, not {self.total}", rule=RULE)
        for name, lines, key in (
            ("directions", self.directions, lambda d: d.bureau),
            ("consignees", self.consignees, lambda c: (c.name, c.station)),
            ("trains", self.trains, lambda p: p.label),
        ):
            seen: set[Any] = set()
            for line in lines:
                if key(line) in seen:
                    raise InvalidInput(name, f"{key(line)} is listed twice", rule=RULE)
                seen.add(key(line))
        for name, lines in (("directions", self.directions), ("consignees", self.consignees)):
            listed = sum((line.tonnage for line in lines), Decimal(0))
            if listed > self.total:
                raise InvalidInput(
                    name,
                    f"add up to {listed} t, more than the total {self.total} t",
                    rule=RULE,
                )

    def stations(self) -> Iterable[tuple[str, str]]:
        """(field, code) of every station the figures name, to check against the register."""
        for i, c in enumerate(self.consignees):
            if c.station:
                yield f"consignees.{i}.station", c.station
        for i, p in enumerate(self.trains):
            yield f"trains.{i}.origin", p.origin
            yield f"trains.{i}.destination", p.destination


@frozen(kw_only=True)
class Signing:
    """A party's signature and seal (签字盖章) on the form, as recorded by a user.

    ``signed_on`` defaults to today; it may be earlier (the paper was signed before it was
    entered) but never in the future. ``late`` must be set exactly when ``signed_on`` is after
    the stage's deadline.
    """

    signer: str = field(converter=checks.stripped, validator=checks.text(50, required=True))
    sealed: bool = False
    signed_on: date | None = None
    late: bool = False
    late_reason: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(2000)
    )

    def __attrs_post_init__(self) -> None:
        if not self.sealed:
            raise InvalidInput(
                "sealed",
                "the form takes effect signed and sealed (签字盖章): confirm the seal",
                rule=RULE,
            )
        if self.late_reason and not self.late:
            raise InvalidInput("late_reason", "only a late step has a reason for being late")


def deadline(year: int, stage: Stage, days: VolumeDeadlines) -> date:
    """The day by which ``stage`` signs the form for plan ``year`` (inclusive)."""
    return date(year - 1, 12, getattr(days, stage.day_field))


def check_lateness(stage: Stage, signed_on: date, due: date, late: bool) -> None:
    """Refuse a step whose late flag does not match its date."""
    if signed_on > due and not late:
        raise InvalidInput(
            "late",
            f"the {stage.value} signs by {due}; signed on {signed_on}, it is late: "
            "record it with the late flag (--late)",
            rule=RULE,
        )
    if signed_on <= due and late:
        raise InvalidInput(
            "late",
            f"the {stage.value} signs by {due}; signed on {signed_on}, it is on time: "
            "drop the late flag",
            rule=RULE,
        )


@frozen(kw_only=True)
class SignedStage:
    stage: Stage
    figures: VolumeFigures
    signer: str
    sealed: bool
    signed_on: date
    deadline: date
    late: bool
    late_reason: str | None
    recorded_at: datetime
    recorded_by: str
    masked: tuple[str, ...] = ()  # fields withheld from the reader (crm access field rules)


@frozen(kw_only=True)
class StageDue:
    """A stage's deadline and whether it is met, for the stages not signed yet too."""

    stage: Stage
    deadline: date
    signed_on: date | None
    late: bool | None  # None: not signed yet
    overdue: bool  # not signed and past the deadline today


@frozen(kw_only=True)
class Growth:
    """RAIL-VOL-2 for one form: growth of its current total over the base year."""

    base_kind: str  # actual | approved
    base_year: int
    base: Decimal | None  # None: nothing to measure from
    base_months: int | None  # months with actual loadings (a partial year shows here)
    total: Decimal
    growth_percent: Decimal | None
    region: str | None
    regional_region: str | None  # where the regional figure was found (the region or above)
    regional_percent: Decimal | None
    below: bool | None  # None: cannot tell
    warning: str | None
    rule: str = GROWTH_RULE


def growth(
    *,
    total: Decimal,
    year: int,
    base_kind: str,
    base: Decimal | None,
    base_months: int | None,
    region: str | None,
    regional: tuple[str, Decimal] | None,
) -> Growth:
    """Compare ``total`` for ``year`` with ``base`` and with the region's average growth.

    Growth must be above the regional figure (高于): equal is below. A missing base or
    regional figure gives a warning that says what is missing, not a verdict.
    """
    percent = None
    if base is not None and base > 0:
        percent = ((total - base) * 100 / base).quantize(Decimal("0.01"))
    below: bool | None = None
    warning = None
    if percent is None:
        warning = f"no {base_kind} volume for {year - 1} to measure growth from"
    elif regional is None:
        warning = (
            f"no average railway growth entered for {region or 'the client’s region'} in {year} "
            "(crm rail growth set)"
        )
    else:
        below = percent <= regional[1]
        if below:
            warning = (
                f"growth {percent}% is not above the average railway growth of "
                f"{regional[0]} in {year} ({regional[1]}%)"
            )
    return Growth(
        base_kind=base_kind,
        base_year=year - 1,
        base=base,
        base_months=base_months,
        total=total,
        growth_percent=percent,
        region=region,
        regional_region=regional[0] if regional else None,
        regional_percent=regional[1] if regional else None,
        below=below,
        warning=warning,
    )


def region_chain(region: str | None) -> list[str]:
    """``广东/广州/天河`` -> [``广东/广州/天河``, ``广东/广州``, ``广东``]: nearest first."""
    if not region:
        return []
    parts = region.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]

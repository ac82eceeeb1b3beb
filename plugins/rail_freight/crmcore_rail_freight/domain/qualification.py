"""RAIL-QUAL-1: who is a railway key account (铁路大客户认同).

The source (《大客户运输服务管理办法》 第五条) lists six conditions, all required
(「应同时符合以下条件」). The check lists one criterion per condition, splitting the two
that join two facts (item 4: FMOS and whole trains; item 5: owner of the goods and payer of
the freight), each with pass or fail and the numbers behind it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from crmcore.domain import checks

from .policies import QualificationThresholds
from .stations import Station, station_code
from .years import YEAR

RULE = "RAIL-QUAL-1"


class Party(enum.StrEnum):
    """Which end of the transport makes the client a key account."""

    SHIPPER = "shipper"  # 发货人, at its origin station (发站)
    CONSIGNEE = "consignee"  # 收货人, at its destination station (到站)

    @property
    def loads(self) -> bool:
        return self is Party.SHIPPER


@frozen(kw_only=True)
class QualificationFacts:
    """What the client declares (申请表) and the bureau can verify, for one station.

    ``annual_tonnage`` is the volume shipped or arriving by rail in ``year``
    (「经铁路发磅或到达年运量」), ``annual_freight`` the freight it paid that year.
    """

    party: Party = field(converter=checks.enum_of(Party, rule=RULE))
    station: str = field(converter=station_code, validator=checks.text(10, required=True))
    year: int = field(validator=YEAR)
    annual_tonnage: Decimal = field(validator=checks.amount(places=3, rule=RULE))
    annual_freight: Decimal = field(validator=checks.amount(places=2, rule=RULE))
    state_key_enterprise: bool = False
    follows_railway_rules: bool = False
    owns_goods: bool = False
    pays_freight: bool = False
    accepts_charter: bool = False
    note: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(2000)
    )


@frozen(kw_only=True)
class Criterion:
    clause: int  # item of 第五条
    key: str
    title: str
    source: str  # the source's wording
    passed: bool
    detail: str  # the numbers or facts behind the verdict, in words
    values: dict[str, Any] = field(factory=dict)


@frozen(kw_only=True)
class QualificationCheck:
    client_code: str
    client_name: str
    qualified: bool
    party: Party
    station: Station
    year: int
    recorded_at: datetime
    recorded_by: str
    facts_id: int
    criteria: tuple[Criterion, ...]
    rule: str = RULE
    masked: tuple[str, ...] = ()  # fields withheld from the reader (crm access field rules)

    @property
    def failed(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.passed)

    def summary(self) -> str:
        """One line for an error: what failed and why."""
        return "; ".join(f"{c.key}: {c.detail}" for c in self.failed) or "all criteria met"


def evaluate(
    facts: QualificationFacts, station: Station, limits: QualificationThresholds
) -> tuple[Criterion, ...]:
    """Every RAIL-QUAL-1 criterion for ``facts`` at ``station`` under ``limits``."""
    tonnage_ok = facts.annual_tonnage >= limits.min_annual_tonnage
    freight_ok = facts.annual_freight >= limits.min_annual_freight
    end = "origin" if facts.party.loads else "destination"
    work = "load" if facts.party.loads else "unload"
    whole = station.whole_trains(facts.party.loads)

    def yes_no(flag: bool, yes: str, no: str) -> str:
        return yes if flag else no

    return (
        Criterion(
            clause=1,
            key="state_key_enterprise",
            title="A key enterprise supported by state policy",
            source="必须属于国家政策扶持的重点企业",
            passed=facts.state_key_enterprise,
            detail=yes_no(facts.state_key_enterprise, "declared", "not declared"),
        ),
        Criterion(
            clause=2,
            key="follows_railway_rules",
            title="Follows railway rules and obeys centralised transport command",
            source="坚持国家利益和人民利益至上,遵守铁路有关规章制度,服从铁路运输集中统一指挥",
            passed=facts.follows_railway_rules,
            detail=yes_no(facts.follows_railway_rules, "declared", "not declared"),
        ),
        Criterion(
            clause=3,
            key="annual_volume",
            title=f"As {facts.party.value} at one {end} station: at least "
            f"{_t(limits.min_annual_tonnage)} a year or {_cny(limits.min_annual_freight)} freight",
            source="同一发货人在同一发站,或同一收货人在同一到站,经铁路发磅或到达年运量在100万吨以上或运输付费1亿元以上",
            passed=tonnage_ok or freight_ok,
            detail=(
                f"{facts.year}: {_t(facts.annual_tonnage)} "
                f"{'>=' if tonnage_ok else '<'} {_t(limits.min_annual_tonnage)}, "
                f"freight {_cny(facts.annual_freight)} "
                f"{'>=' if freight_ok else '<'} {_cny(limits.min_annual_freight)}"
            ),
            values={
                "year": facts.year,
                "annual_tonnage": facts.annual_tonnage,
                "min_annual_tonnage": limits.min_annual_tonnage,
                "tonnage_met": tonnage_ok,
                "annual_freight": facts.annual_freight,
                "min_annual_freight": limits.min_annual_freight,
                "freight_met": freight_ok,
            },
        ),
        Criterion(
            clause=4,
            key="station_fmos",
            title=f"The {end} station is on the FMOS network",
            source="所涉及的发(到)站必须是铁路FMOS联网车站",
            passed=station.fmos,
            detail=f"{station.code} {station.name} ({station.bureau}): "
            + yes_no(station.fmos, "on FMOS", "not on FMOS"),
            values={"station": station.code, "fmos": station.fmos},
        ),
        Criterion(
            clause=4,
            key="station_whole_trains",
            title=f"The {end} station can {work} whole trains",
            source="具备整列装(卸)车作业条件",
            passed=whole,
            detail=f"{station.code} {station.name}: "
            + yes_no(whole, f"{work}s whole trains", f"cannot {work} whole trains"),
            values={"station": station.code, f"whole_train_{work}ing": whole},
        ),
        Criterion(
            clause=5,
            key="owns_goods",
            title="Owns the goods it ships or receives",
            source="必须是货源直接拥有者",
            passed=facts.owns_goods,
            detail=yes_no(facts.owns_goods, "declared", "not declared"),
        ),
        Criterion(
            clause=5,
            key="pays_freight",
            title="Pays the freight to the railway itself, as an independent entity",
            source="向铁路支付运费的独立主体",
            passed=facts.pays_freight,
            detail=yes_no(facts.pays_freight, "declared", "not declared"),
        ),
        Criterion(
            clause=6,
            key="accepts_charter",
            title="Accepts the key-account charter and a long-term partnership",
            source="自愿遵守《铁路大客户章程》的各项规定,愿与铁路建立长期友好协作关系",
            passed=facts.accepts_charter,
            detail=yes_no(facts.accepts_charter, "accepted", "not accepted"),
        ),
    )


def _t(value: Decimal) -> str:
    return f"{value.normalize():,f} t"


def _cny(value: Decimal) -> str:
    return f"{value.normalize():,f} CNY"

"""The numbers of the RAIL rules as policies (制度参数), each default the rule's number.

Admins change them with ``crm policy set RAIL-VOL-1 client_day=8 --from 2027-01-01``; code
reads the value in force with ``tx.crm.policies.in_force(tx, key)``, never a literal.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import field, frozen

from crmcore import policies
from crmcore.domain import checks


@frozen(kw_only=True)
class QualificationThresholds:
    """RAIL-QUAL-1 item 3: the same shipper at the same origin station, or consignee at the
    same destination, moves at least 1,000,000 t a year or pays at least 100M CNY freight a
    year (「100万吨以上或运输付费1亿元以上」; 以上 includes the number, rules audit A2)."""

    min_annual_tonnage: Decimal = field(
        default=Decimal("1000000"),
        validator=policies.between(Decimal("0.001"), Decimal("1000000000000"), unit="t"),
    )
    min_annual_freight: Decimal = field(default=Decimal("100000000"), validator=policies.amount())


NUMBER_PREFIX = r"[A-Z][A-Z0-9]{0,9}"


@frozen(kw_only=True)
class CertificateTerms:
    """RAIL-QUAL-2: the certificate the ministry issues (铁路大客户证书).

    The source names the certificate but gives no validity and no number format: both
    defaults here are assumptions for the team to confirm (3 years; RAIL-2026-00001).
    """

    validity_years: int = field(default=3, validator=policies.between(1, 20, unit="years"))
    number_prefix: str = field(
        default="RAIL",
        validator=checks.pattern(NUMBER_PREFIX, "1-10 capital letters or digits, e.g. RAIL"),
    )


@frozen(kw_only=True)
class VolumeDeadlines:
    """RAIL-VOL-1: December days by which the client files its form (12月上旬前: 10), the
    bureau agrees a proposal and reports (中旬前: 20) and the ministry signs (底前: 31).

    Read as the end of each ten-day period, inclusive (rules audit A1): a step on the day
    itself is on time. Calendar dates, not working days; nothing moves off a weekend.
    """

    client_day: int = field(default=10, validator=policies.days(minimum=1, maximum=31))
    bureau_day: int = field(default=20, validator=policies.days(minimum=1, maximum=31))
    ministry_day: int = field(default=31, validator=policies.days(minimum=1, maximum=31))

    def __attrs_post_init__(self) -> None:
        policies.ascending("client_day", "bureau_day", "ministry_day", rule="RAIL-VOL-1")(self)


GROWTH_BASES = ("actual", "approved")


@frozen(kw_only=True)
class GrowthCheck:
    """RAIL-VOL-2: a key account's approved growth should be above (高于, strictly) the
    region's average railway growth. ``base`` is what the growth is measured from: last
    year's actual loadings (上年实际, the source's basis for verification) or last year's
    approved volume."""

    base: str = field(default="actual", validator=checks.one_of(GROWTH_BASES))


#: (key, class, title, title_zh) as registered through ``crm_policies``.
POLICIES: tuple[tuple[str, type, str, str], ...] = (
    (
        "RAIL-QUAL-1",
        QualificationThresholds,
        "Key-account volume or freight threshold",
        "铁路大客户年运量/运费标准",
    ),
    ("RAIL-QUAL-2", CertificateTerms, "Key-account certificate terms", "铁路大客户证书"),
    ("RAIL-VOL-1", VolumeDeadlines, "Annual volume approval deadlines", "年度运量核定时限"),
    ("RAIL-VOL-2", GrowthCheck, "Growth against the region's average", "运量增幅要求"),
)

"""The numbers of the PWR rules as policies (制度参数): defaults are the rule's numbers.

Admins change them with ``crm policy set PWR-APP-2 dual_source_days=25 --from 2027-01-01``;
a decision reads the value in force at its moment and keeps it (a notice keeps the validity it
was given, a quote the fees it was quoted). Where the source gives no number, the default says
so in its help text and the plugin's report lists it for the team to set.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from crmcore import InvalidInput, policies


def _help(text: str) -> dict[str, Any]:
    return {"help": text}


def _rate(default: str) -> Any:
    return field(
        default=Decimal(default),
        validator=policies.between(Decimal(0), Decimal(100000)),
        metadata=_help("CNY per kVA; illustrative default, NOT from the source: set your tariff"),
    )


@frozen(kw_only=True)
class ApplicationDocuments:
    """PWR-APP-1: the documents an application needs before it is accepted (受理)."""

    required_documents: tuple[str, ...] = field(
        default=(
            "用电申请书",
            "营业执照",
            "法定代表人身份证明",
            "用电地址产权证明",
            "用电设备清单",
        ),
        converter=tuple,
        validator=attrs.validators.deep_iterable(attrs.validators.instance_of(str)),
        metadata=_help(
            "the source names only 《高压用电申请》 and 用电资料; this list is a common one, set yours"
        ),
    )

    @required_documents.validator
    def _not_blank(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        if any(not item.strip() for item in value):
            raise InvalidInput(attribute.name, "a document name must not be blank")


@frozen(kw_only=True)
class ReplyDeadlines:
    """PWR-APP-2: the supply plan within 20 working days (single source) or 30 (dual) of the
    acceptance (受理); the supply office passes the application on within 5 working days."""

    single_source_days: int = field(
        default=20, validator=policies.days(), metadata=_help("high voltage, single source")
    )
    dual_source_days: int = field(
        default=30, validator=policies.days(), metadata=_help("high voltage, dual source")
    )
    low_voltage_days: int = field(
        default=20,
        validator=policies.days(),
        metadata=_help("the source sets no low-voltage deadline; 20 is RULES.md's reading"),
    )
    handover_days: int = field(
        default=5, validator=policies.days(), metadata=_help("supply office to marketing dept")
    )


@frozen(kw_only=True)
class PlanValidity:
    """PWR-PLAN-1: a plan is valid from its notice, high voltage 1 year, low voltage 3 months;
    an extension is asked at least 10 days before expiry and adds at most one period."""

    high_voltage_months: int = field(default=12, validator=policies.between(1, 120))
    low_voltage_months: int = field(default=3, validator=policies.between(1, 120))
    extension_notice_days: int = field(
        default=10, validator=policies.days(), metadata=_help("calendar days before expiry")
    )
    max_extensions: int = field(
        default=1,
        validator=policies.between(0, 10),
        metadata=_help("the source does not say; rules-audit A9 recommends one"),
    )


@frozen(kw_only=True)
class FeeSchedule:
    """PWR-FEE-1: the fees told with the plan, and the account to pay into (开户帐号).

    The high-reliability supply fee (高可靠性供电费) per kVA by voltage level, charged on the
    capacity of each source beyond the first. The source names no fee or amount ("按国家规定"):
    the rates are placeholders to be replaced by the province's published schedule.
    """

    rate_0_4kv: Decimal = _rate("270")  # noqa: RUF009 (an attrs field)
    rate_10kv: Decimal = _rate("210")  # noqa: RUF009 (an attrs field)
    rate_20kv: Decimal = _rate("190")  # noqa: RUF009 (an attrs field)
    rate_35kv: Decimal = _rate("165")  # noqa: RUF009 (an attrs field)
    rate_66kv: Decimal = _rate("130")  # noqa: RUF009 (an attrs field)
    rate_110kv: Decimal = _rate("75")  # noqa: RUF009 (an attrs field)
    rate_220kv: Decimal = _rate("40")  # noqa: RUF009 (an attrs field)
    pay_into: str = field(
        default="",
        validator=attrs.validators.max_len(200),
        metadata=_help("bank, account name and number printed on every quote"),
    )

    def rates(self) -> dict[str, Decimal]:
        return {
            f.name: getattr(self, f.name)
            for f in attrs.fields(type(self))
            if f.name.startswith("rate_")
        }


@frozen(kw_only=True)
class Reinspection:
    """PWR-ACC-1: every acceptance inspection from the second on is charged (复验费)."""

    fee: Decimal = field(
        default=Decimal("500"),
        validator=policies.between(Decimal(0), Decimal(1000000)),
        metadata=_help("CNY per re-inspection; the source names no amount (placeholder)"),
    )
    charged_from: int = field(
        default=2, validator=policies.between(1, 20), metadata=_help("the first charged inspection")
    )


@frozen(kw_only=True)
class MeterTicket:
    """PWR-MTR-1: the metering office returns the meter work ticket within 5 days."""

    return_days: int = field(
        default=5, validator=policies.days(), metadata=_help("calendar days (「5日内」)")
    )


#: (key, class, title, title_zh)
POLICIES: tuple[tuple[str, type, str, str], ...] = (
    ("PWR-APP-1", ApplicationDocuments, "Documents of a connection application", "用电申请资料"),
    ("PWR-APP-2", ReplyDeadlines, "Supply plan reply deadlines", "供电方案答复时限"),
    ("PWR-PLAN-1", PlanValidity, "Supply plan validity and extension", "供电方案有效期"),
    ("PWR-FEE-1", FeeSchedule, "Fees told with the plan", "业扩收费标准及开户帐号"),
    ("PWR-ACC-1", Reinspection, "Re-inspection fee", "复验费"),
    ("PWR-MTR-1", MeterTicket, "Meter work ticket return", "装表工作票回传时限"),
)

"""The numbers of the DIST rules as policies (制度参数), each with the rule's default.

Two different A-D classes are at work (rules audit 1.1): the *score class* of CLS-SCORE-1
(客户分级, from the yearly scorecard) decides the price bound, the payment terms and delivery;
the *credit grade* (信用等级, set by the credit committee) decides credit. Where the source
gives no number the default is marked as an assumption.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from crmcore import InvalidInput
from crmcore.policies import between, days, percent

GRADES = ("A", "B", "C", "D")


def _choice(*allowed: str) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in allowed:
            raise InvalidInput(attribute.name, f"{value!r} is not one of {', '.join(allowed)}")

    return check


def _choice_int(*allowed: int) -> Any:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: int) -> None:
        if value not in allowed:
            raise InvalidInput(
                attribute.name, f"{value} is not one of {', '.join(map(str, allowed))}"
            )

    return check


def _not_negative() -> Any:
    return between(Decimal(0), Decimal("1e12"))


@frozen(kw_only=True)
class PriceBounds:
    """DIST-PRICE-1: price against the internal control price (内控价) by score class.

    A may be up to 5% below it, B up to 3%, C not below it, D pays 5% above it. The source
    says "in principle" (原则上, rules audit 1.13): a price outside the bound is refused, unless
    the order asks for an exception, which the general manager must approve.
    """

    a_discount_up_to: Decimal = field(default=Decimal("5"), validator=percent())
    b_discount_up_to: Decimal = field(default=Decimal("3"), validator=percent())
    c_discount_up_to: Decimal = field(default=Decimal("0"), validator=percent())
    d_markup: Decimal = field(default=Decimal("5"), validator=percent())
    exceptions: bool = True

    def floor_factor(self, cls: str) -> Decimal:
        """The lowest price as a multiple of the control price."""
        if cls == "D":
            return 1 + self.d_markup / 100
        return 1 - getattr(self, f"{cls.lower()}_discount_up_to") / 100


@frozen(kw_only=True)
class PaymentTerms:
    """DIST-PAY-1: A may pay up to 3 months after delivery, B cash on delivery or up to 30
    days, C no deferred payment (cash on delivery), D pays before shipment (款到发货).
    Calendar months and days (rules audit A13)."""

    a_months: int = field(default=3, validator=between(0, 24, unit="months"))
    b_days: int = field(default=30, validator=days(maximum=365))
    c_days: int = field(default=0, validator=days(maximum=365))


@frozen(kw_only=True)
class LatePayments:
    """DIST-PAY-2: two or more late payments in one calendar quarter lower the payment terms
    one class at once. A late payment is an invoice paid after its due date, counted once, in
    the quarter of the payment. ``window``: ``calendar_quarter`` (the source's 季度, rules audit
    A8) or ``rolling_3_months``. Terms are back at the score class with the next yearly
    CLS-SCORE-1 run."""

    late_payments: int = field(default=2, validator=between(1, 100))
    window: str = field(
        default="calendar_quarter", validator=_choice("calendar_quarter", "rolling_3_months")
    )


@frozen(kw_only=True)
class DeliveryDays:
    """DIST-DLV-1: standard delivery A within 20 days, B 30, C 40 (calendar days). The source
    promises D nothing (``d_days`` 0: no promised date) and reviews D's orders strictly."""

    a_days: int = field(default=20, validator=days(maximum=365))
    b_days: int = field(default=30, validator=days(maximum=365))
    c_days: int = field(default=40, validator=days(maximum=365))
    d_days: int = field(default=0, validator=days(maximum=365))
    d_review: bool = True


@frozen(kw_only=True)
class CreditGrades:
    """DIST-CRED-1: credit by grade. A gets a limit no higher than its sales in the contracted
    account period; B a set limit; C cash on delivery, a small limit after review; D no credit.

    Assumptions (not in the source): a new distributor starts at ``initial_grade`` C; "small"
    is at most ``c_max_limit``. ``a_cap``: the A cap is the entered sales of the contracted
    account period (``entered``) or what was invoiced over the last ``PaymentTerms.a_months``
    (``invoiced``), rules audit A17. ``grade_source``: ``committee`` (the default, rules audit
    1.1) or ``score_class`` (an installation that makes the credit grade the score class).
    """

    initial_grade: str = field(default="C", validator=_choice(*GRADES))
    c_max_limit: Decimal = field(default=Decimal("50000"), validator=_not_negative())
    a_cap: str = field(default="entered", validator=_choice("entered", "invoiced"))
    grade_source: str = field(default="committee", validator=_choice("committee", "score_class"))


@frozen(kw_only=True)
class CreditOverride:
    """DIST-CRED-2: an order over the limit needs the department head, and above
    ``gm_above`` of excess the general manager too. The source gives no threshold (rules
    audit 1.14): 100,000 CNY is an assumption; 0 sends every excess to the general manager."""

    gm_above: Decimal = field(default=Decimal("100000"), validator=_not_negative())


@frozen(kw_only=True)
class CreditReview:
    """DIST-CRED-3: finance reviews every distributor's credit periodically and the credit
    committee approves. The source gives no interval (定期, rules audit A18): every 3 months is
    an assumption. 1, 2, 3, 4, 6 or 12."""

    review_months: int = field(default=3, validator=_choice_int(1, 2, 3, 4, 6, 12))


@frozen(kw_only=True)
class Investigations:
    """DIST-CRED-4: sales asks, finance investigates through these channels. The source lists
    only banks (金融机构) before it breaks off (rules audit 1.15, A15)."""

    channels: tuple[str, ...] = field(
        default=("bank",), converter=tuple, validator=attrs.validators.min_len(1)
    )


POLICIES: tuple[tuple[str, type, str, str], ...] = (
    ("DIST-PRICE-1", PriceBounds, "Price bounds by score class", "价格控制(内控价)"),
    ("DIST-PAY-1", PaymentTerms, "Payment terms by score class", "付款方式"),
    ("DIST-PAY-2", LatePayments, "Late payments lower the terms", "逾期付款降级"),
    ("DIST-DLV-1", DeliveryDays, "Delivery days by score class", "交期"),
    ("DIST-CRED-1", CreditGrades, "Credit by credit grade", "信用等级与授信"),
    ("DIST-CRED-2", CreditOverride, "Orders over the credit limit", "超信用限度审批"),
    ("DIST-CRED-3", CreditReview, "Periodic credit review", "信用定期核查"),
    ("DIST-CRED-4", Investigations, "Credit investigations", "信用调查"),
)

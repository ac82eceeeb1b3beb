"""The approvals of the distribution rules, declared for crmcore's workflow engine.

* ``distribution.credit_override`` (DIST-CRED-2): an order over the credit limit; the
  department head approves, and when the excess is above ``DIST-CRED-2.gm_above`` the general
  manager too. Approval releases the order, refusal refuses it.
* ``distribution.price_exception`` (DIST-PRICE-1, "in principle", rules audit 1.13): a price
  below the class bound with a reason; the general manager decides.
* ``distribution.order_review`` (DIST-DLV-1): a class D order, reviewed strictly by the
  department head before it is accepted.
* ``distribution.credit_review`` (DIST-CRED-3): finance proposes a grade and limit, the
  credit committee (授信额度管理小组) approves; approval applies them.
* ``distribution.investigation`` (DIST-CRED-4): sales asks, finance investigates and files
  the report into the receivables record.

An order may wait on several of these at once; it is accepted when all are approved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crmcore import Chain, State, StepContext, Transition, Workflow

HEAD = "dist_department_head"  # 部长 (销售部门负责人)
GM = "dist_general_manager"  # 总经理
COMMITTEE = "credit_committee"  # 授信额度管理小组
FINANCE = "finance"  # 财务部 (a core role)
LOGISTICS = "dist_logistics"  # 储运 / 生产计划: ships orders

ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    HEAD: ("部长", ("distribution.read", "distribution.credit.read", "distribution.order")),
    GM: ("总经理", ("distribution.read", "distribution.credit.read")),
    # the committee's decisions are filed in the client's archive (DIST-CRED-3)
    COMMITTEE: (
        "授信额度管理小组",
        ("distribution.read", "distribution.credit.read", "archive.write"),
    ),
    LOGISTICS: ("储运", ("distribution.read", "distribution.deliver")),
}
#: What core roles may do in this plugin.
CORE_ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "account_manager": ("distribution.read", "distribution.credit.read", "distribution.order"),
    "finance": (
        "distribution.read",
        "distribution.credit.read",
        "distribution.credit",
        "distribution.pay",
        "distribution.manage",
    ),
    "director": ("distribution.*",),
    "audit_legal": ("distribution.read", "distribution.credit.read"),
    "read_only": ("distribution.read",),
}


def _service(ctx: StepContext) -> Any:
    from crmcore_distribution.services import DistributionService

    return DistributionService(ctx.tx.crm)


def _order_id(ctx: StepContext) -> int:
    if ctx.instance.entity_type != "distribution_order" or ctx.instance.entity_id is None:
        raise ValueError("this approval belongs to no order: start it with an order")
    return int(ctx.instance.entity_id)


def release(ctx: StepContext) -> None:
    _service(ctx).release(ctx.tx, _order_id(ctx))


def refuse(ctx: StepContext) -> None:
    _service(ctx).refuse(ctx.tx, _order_id(ctx), ctx.comment)


def still_held(ctx: StepContext) -> str | None:
    """An order refused for one reason needs no approval for another."""
    status = _service(ctx).order(ctx.tx, _order_id(ctx)).status
    return None if status == "held" else f"order {_order_id(ctx)} is {status} already"


def small_excess(ctx: StepContext) -> bool:
    """DIST-CRED-2: up to the threshold the department head's approval is enough."""
    return Decimal(str(ctx.data.get("excess", "0"))) <= ctx.policy("DIST-CRED-2").gm_above


def apply_review(ctx: StepContext) -> None:
    _service(ctx).apply_review(ctx.tx, ctx.instance, ctx.data)


def complete_report(ctx: StepContext) -> str | None:
    problem = _service(ctx).report_problem(ctx.tx, ctx.data)
    return f"{problem[0]}: {problem[1]} (DIST-CRED-4)" if problem else None


def file_report(ctx: StepContext) -> None:
    _service(ctx).file_report(ctx.tx, ctx.instance, ctx.data)


def _order_hold(name: str, title: str, title_zh: str, rule: str, role: str) -> Workflow:
    """One approver decides on a held order."""
    return Workflow(
        name=name,
        title=title,
        title_zh=title_zh,
        rule=rule,
        initial="decision",
        states=(
            State("decision", label=f"{title_zh}: 待审批"),
            State("approved", terminal=True, label="已批准", on_enter=release),
            State("refused", terminal=True, label="已拒绝", on_enter=refuse),
        ),
        transitions=(
            Transition("approve", "decision", "approved", role=role, guards=(still_held,)),
            Transition("reject", "decision", "refused", role=role, reject=True),
        ),
        withdrawable=False,
    )


CREDIT_OVERRIDE = Workflow(
    name="distribution.credit_override",
    title="Order over the credit limit",
    title_zh="超信用限度审批",
    rule="DIST-CRED-2",
    initial="head",
    states=(
        State("head", label="待部长审批"),
        State("gm", label="待总经理审批"),
        State("approved", terminal=True, label="已批准", on_enter=release),
        State("refused", terminal=True, label="已拒绝", on_enter=refuse),
    ),
    transitions=(
        Transition(
            "approve", "head", "approved", role=HEAD, when=small_excess, guards=(still_held,)
        ),
        Transition("approve", "head", "gm", role=HEAD, guards=(still_held,)),
        Transition("reject", "head", "refused", role=HEAD, reject=True),
        Transition("approve", "gm", "approved", role=GM, guards=(still_held,)),
        Transition("reject", "gm", "refused", role=GM, reject=True),
    ),
    withdrawable=False,
)

PRICE_EXCEPTION = _order_hold(
    "distribution.price_exception",
    "Price below the class bound",
    "价格例外审批",
    "DIST-PRICE-1",
    GM,
)
ORDER_REVIEW = _order_hold(
    "distribution.order_review",
    "Strict review of a class D order",
    "D类订单审单",
    "DIST-DLV-1",
    HEAD,
)

CREDIT_REVIEW = Workflow(
    name="distribution.credit_review",
    title="Credit grade and limit review",
    title_zh="信用等级核查",
    rule="DIST-CRED-3",
    initial="committee",
    states=(
        State("approved", terminal=True, label="已批准", on_enter=apply_review),
        State("refused", terminal=True, label="未批准"),
    ),
    chains=(
        Chain(
            "committee",
            roles=(COMMITTEE,),
            then="approved",
            on_reject="refused",
            label="授信额度管理小组审批",
        ),
    ),
)

INVESTIGATION = Workflow(
    name="distribution.investigation",
    title="Credit investigation",
    title_zh="客户信用调查",
    rule="DIST-CRED-4",
    initial="investigating",
    states=(
        State("investigating", label="财务部调查中"),
        State("filed", terminal=True, label="报告已归档", on_enter=file_report),
        State("declined", terminal=True, label="不予调查"),
    ),
    transitions=(
        Transition("file", "investigating", "filed", role=FINANCE, guards=(complete_report,)),
        Transition("decline", "investigating", "declined", role=FINANCE, reject=True),
    ),
)

WORKFLOWS = (CREDIT_OVERRIDE, PRICE_EXCEPTION, ORDER_REVIEW, CREDIT_REVIEW, INVESTIGATION)

"""The quote document (供电方案答复单) of a plan revision, as plain text.

Made from the stored revision, which is never edited: the fees are those quoted, whatever the
fee schedule says later. Only the validity line changes, once the plan is notified.
"""

from __future__ import annotations

from crmcore.calendar import china_date
from crmcore.cli.render import MASKED
from crmcore_utility_power.views import ApplicationView, PlanRevision

KIND_ZH = {"new": "新装", "increase": "增容"}


def render_quote(app: ApplicationView, plan: PlanRevision) -> str:
    lines = [
        "供电方案答复单 (Supply plan and quote)",
        f"编号 No.: {plan.quote_number}    (第 {plan.revision} 版 revision {plan.revision})",
        f"申请编号 Application: {app.number}    {KIND_ZH.get(app.kind, app.kind)} ({app.kind})",
        f"客户 Client: {app.client_name} ({app.client_code})",
        f"用电地址 Address: {app.address or '-'}",
        "",
        f"供电电压 Supply voltage: {plan.voltage}",
        f"供电容量 Capacity: {plan.capacity_kva} kVA",
        f"电源 Source(s): {len(plan.sources)}",
        *(f"  {i}. {source}" for i, source in enumerate(plan.sources, 1)),
        "",
        "应交费用 Fees due (PWR-FEE-1):",
    ]
    if plan.fees is None:
        lines.append(f"  {MASKED}")
    elif plan.fees:
        lines += [f"  {f.label_zh}: {f.amount} 元  ({f.basis})" for f in plan.fees]
    else:
        lines.append("  无 (none)")
    lines += [
        f"  合计 Total: {MASKED if plan.total is None else f'{plan.total} 元'}",
        f"交费帐号 Pay into: {plan.pay_into or MASKED}",
        "",
        _validity(app, plan),
    ]
    if plan.note:
        lines += ["", f"说明 Note: {plan.note}"]
    lines += ["", f"编制 Drafted by {plan.recorded_by}, {china_date(plan.recorded_at)}"]
    return "\n".join(lines) + "\n"


def _validity(app: ApplicationView, plan: PlanRevision) -> str:
    head = "有效期 Validity (PWR-PLAN-1): "
    validity = app.validity
    if validity is None or validity.plan_revision != plan.revision:
        return head + "自供电方案正式通知书发出之日起计算 (runs from the notice)"
    return (
        head
        + f"{validity.notified_on} 通知, 有效至 {validity.valid_until} "
        + f"(notified {validity.notified_on}, valid until {validity.valid_until})"
    )

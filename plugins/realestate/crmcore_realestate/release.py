"""RE-ALLOC-1: the approval chain of a release of units (发放房源) to a commissioning unit.

Marketing director, finance director, project GM and GM approve in turn (rules-audit A14: the
listed order). When the GM approves, the units move to ``released`` in the control table, each
by compare-and-set, so a unit sold at retail meanwhile makes the approval fail (nothing moves).
"""

from __future__ import annotations

from crmcore import Chain, State, StepContext, Workflow

APPROVERS = ("marketing_director", "finance_director", "project_gm", "gm")


def _released(ctx: StepContext) -> None:
    from crmcore_realestate.services import apply_release

    apply_release(ctx.tx, int(ctx.instance.entity_id or 0), released=True)


def _refused(ctx: StepContext) -> None:
    from crmcore_realestate.services import apply_release

    apply_release(ctx.tx, int(ctx.instance.entity_id or 0), released=False)


RELEASE = Workflow(
    name="realestate.release",
    title="Release of units to a commissioning unit",
    title_zh="委建房源发放审批",
    rule="RE-ALLOC-1",
    initial="approval",
    states=(
        State("released", terminal=True, label="已发放", on_enter=_released),
        State("refused", terminal=True, label="未批准", on_enter=_refused),
    ),
    chains=(Chain("approval", roles=APPROVERS, then="released", on_reject="refused"),),
)

"""RE-ALLOC-1: the approval chain of a release of units (发放房源) to a commissioning unit.

Marketing director, finance director, project GM and GM approve in turn (rules-audit A14: the
listed order). When the GM approves, the units move to ``released`` in the control table, each
by compare-and-set, so a unit sold at retail meanwhile makes the approval fail (nothing moves).

The source releases "in principle" (原则上) only after finance's financing target (rules-audit
1.13): a release without one is the exception, allowed only through its own workflow, where
the chairman signs after the GM (GM + chairman, as for the average price of RE-PRICE-5).
"""

from __future__ import annotations

from crmcore import Chain, State, StepContext, Workflow

APPROVERS = ("marketing_director", "finance_director", "project_gm", "gm")
#: who must sign too when there is no financing target (the source names no one: 1.13)
EXCEPTION_APPROVERS = ("chairman",)


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


#: RE-ALLOC-1 "in principle": a release without a financing target (无融资指标特批发放)
RELEASE_WITHOUT_TARGET = Workflow(
    name="realestate.release_without_target",
    title="Release of units without a financing target (exception)",
    title_zh="无融资指标发放房源特批",
    rule="RE-ALLOC-1",
    initial="approval",
    states=RELEASE.states,
    chains=(
        Chain(
            "approval",
            roles=(*APPROVERS, *EXCEPTION_APPROVERS),
            then="released",
            on_reject="refused",
        ),
    ),
)

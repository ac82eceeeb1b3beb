"""The two approvals of a deal, as crmcore workflows.

* ``realestate.deal_selection`` (RE-SEL-2): the negotiation team proposes a commissioning unit,
  the general manager and then the chairman approve (「报总经理、董事长审批」).
* ``realestate.deal_price`` (RE-PRICE-5): the key-account department submits its price
  analysis with the meeting's average price; marketing director, finance director, project
  GM, GM and chairman approve in turn (rules audit A14: sequential, in the listed order).
  Entering ``approved`` writes the approved average price, once per commissioning unit; a
  guard on every approval refuses when the unit has one already.

A rejection ends the instance (``rejected``): a revised analysis or proposal is a new record
with a new approval, so what each approver saw stays as it was.
"""

from __future__ import annotations

from crmcore import Chain, State, StepContext, Workflow

from .roles import (
    CHAIRMAN,
    FINANCE_DIRECTOR,
    GM,
    KEY_ACCOUNT_DIRECTOR,
    KEY_ACCOUNT_VGM,
    MARKETING_DIRECTOR,
    PROJECT_GM,
)

SELECTION = "realestate.deal_selection"
PRICE = "realestate.deal_price"


def _no_approved_price_yet(ctx: StepContext) -> str | None:
    from .pricing import approved_price_row

    analysis_id = int(ctx.data["analysis_id"])
    row = approved_price_row(ctx.tx, analysis_id=analysis_id)
    if row is not None:
        return (
            f"commissioning unit {ctx.instance.client_code} already has an approved average "
            f"price for project {row.project_code} (analysis {row.analysis_id}); "
            "one approval per commissioning unit (RE-PRICE-5)"
        )
    return None


def _record_approved_price(ctx: StepContext) -> None:
    from .pricing import record_approval

    record_approval(ctx.tx, int(ctx.data["analysis_id"]))


SELECTION_WORKFLOW = Workflow(
    name=SELECTION,
    title="Selection of a commissioning unit",
    title_zh="委建单位选定审批",
    rule="RE-SEL-2",
    initial="approval",
    states=(
        State("approved", terminal=True, label="approved (已批准)"),
        State("rejected", terminal=True, label="rejected (未批准)"),
    ),
    chains=(
        Chain(
            "approval",
            roles=(GM, CHAIRMAN),
            then="approved",
            on_reject="rejected",
            label="GM, then chairman (总经理、董事长审批)",
        ),
    ),
    start_roles=(KEY_ACCOUNT_VGM, KEY_ACCOUNT_DIRECTOR),
)

PRICE_WORKFLOW = Workflow(
    name=PRICE,
    title="Average price approval",
    title_zh="委建房均价审批",
    rule="RE-PRICE-5",
    initial="approval",
    states=(
        State(
            "approved",
            terminal=True,
            label="approved (已批准)",
            on_enter=_record_approved_price,
        ),
        State("rejected", terminal=True, label="rejected (未批准)"),
    ),
    chains=(
        Chain(
            "approval",
            roles=(MARKETING_DIRECTOR, FINANCE_DIRECTOR, PROJECT_GM, GM, CHAIRMAN),
            then="approved",
            on_reject="rejected",
            guards=(_no_approved_price_yet,),
            label="marketing, finance, project GM, GM, chairman (依次审批)",
        ),
    ),
    start_roles=(KEY_ACCOUNT_DIRECTOR, KEY_ACCOUNT_VGM),
)

WORKFLOWS = (SELECTION_WORKFLOW, PRICE_WORKFLOW)

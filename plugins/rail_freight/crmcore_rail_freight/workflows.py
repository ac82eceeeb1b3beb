"""RAIL-QUAL-2 as a workflow: the client applies (申请表) to the railway bureau, the bureau
verifies and reports to the ministry, the ministry approves and issues the certificate.

Started by ``rail(crm).certificates.apply`` (or ``renew``), which checks RAIL-QUAL-1 first;
each approval checks again that the client still qualifies, and entering ``certified`` issues
the certificate in the same transaction.
"""

from __future__ import annotations

from crmcore import Chain, State, StepContext, Workflow

from .services.common import BUREAU, MINISTRY

NAME = "rail.certificate"
RULE = "RAIL-QUAL-2"


def still_qualified(ctx: StepContext) -> str | None:
    from .services import rail

    if "qualification_id" not in ctx.data:
        return (
            "this application was not made with `crm rail cert apply` (no qualification attached)"
        )
    check = rail(ctx.tx.crm).qualification.check(ctx.tx, ctx.instance.client_code)
    if not check.qualified:
        return f"the client does not meet RAIL-QUAL-1 now: {check.summary()}"
    return None


def issue(ctx: StepContext) -> None:
    from .services import rail

    rail(ctx.tx.crm).certificates.issue(ctx)


CERTIFICATE = Workflow(
    name=NAME,
    title="Railway key-account certificate",
    title_zh="铁路大客户认定",
    rule=RULE,
    initial="verification",
    states=(
        State("certified", terminal=True, label="certificate issued (已发证)", on_enter=issue),
        State("refused", terminal=True, label="refused (未批准)"),
    ),
    chains=(
        Chain(
            "verification",
            roles=(BUREAU, MINISTRY),
            then="certified",
            on_reject="refused",
            guards=(still_qualified,),
            label="bureau verifies, ministry approves (铁路局核实, 铁道部审核)",
        ),
    ),
)

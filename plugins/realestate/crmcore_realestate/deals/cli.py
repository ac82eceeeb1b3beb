"""Commands of the deals part: parse, call a use case, render. No business rule lives here.

:func:`deals_cli` returns the command groups that ``crm realestate`` adds::

    crm realestate financing record|show   RE-START-1
    crm realestate team form|show|pledge|memo|memos   RE-TEAM-1, CORE-LOG-2
    crm realestate candidate add|list   RE-SEL-1/2
    crm realestate selection propose|list|show|approve|reject   RE-SEL-2
    crm realestate price cost|retail|inputs   RE-PRICE-5's inputs from their departments
    crm realestate price analyse|exchange|submit|approve|reject|show|list|quote   RE-PRICE-*
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option

if TYPE_CHECKING:
    from .domain import PriceAnalysis, Selection
    from .services import DealService


def _deals() -> tuple[DealService, Any]:
    from .services import deals

    app = current()
    return deals(app.crm), app.actor


def deals_cli() -> list[click.Command]:
    """The deals command groups, for the plugin's ``crm realestate`` group to add."""
    return [financing, team, candidate, selection, price]


# -- financing (RE-START-1) -------------------------------------------------------------------


@click.group()
def financing() -> None:
    """Why key-account selling starts (大客户营销启动条件, RE-START-1)."""


@financing.command(name="record")
@click.argument("project")
@click.option("--bank-failed", is_flag=True, help="Bank financing failed (对银行融资失败).")
@click.option("--cash-short", is_flag=True, help="Internal cash flow is short (资金周转困难).")
@click.option("--lending-rate", help="Social lending rate, % a year (社会借贷利息率).")
@click.option("--note", help="What the finance department said.")
def financing_record(
    project: str, bank_failed: bool, cash_short: bool, lending_rate: str | None, note: str | None
) -> None:
    """Record the financing need that starts key-account selling for PROJECT."""
    from .domain import FinancingNeed

    service, actor = _deals()
    need = FinancingNeed(
        project_code=project,
        bank_financing_failed=bank_failed,
        cash_flow_short=cash_short,
        lending_rate=lending_rate,
        note=note,
    )
    found = service.record_financing(actor, need)
    met = [k for k, v in found.conditions.items() if v is True]
    render.done(f"key-account selling started for {project} ({', '.join(met)})")


@financing.command(name="show")
@click.argument("project")
@json_option
def financing_show(project: str, as_json: bool) -> None:
    """The financing need recorded for PROJECT, if any."""
    service, actor = _deals()
    found = service.financing(actor, project)
    if as_json:
        render.emit_json(found)
        return
    if found is None:
        render.done(f"{project}: key-account selling has not started (RE-START-1)")
        return
    render.fields(
        f"Financing need of {project}",
        [
            ("bank financing failed", found.bank_financing_failed),
            ("cash flow short", found.cash_flow_short),
            ("lending rate %", found.lending_rate),
            ("conditions", {k: v for k, v in found.conditions.items() if k != "policy"}),
            ("note", found.note),
            ("recorded", f"{render.cell(found.recorded_at)} by {found.recorded_by}"),
        ],
    )


# -- team (RE-TEAM-1, CORE-LOG-2) --------------------------------------------------------------


@click.group()
def team() -> None:
    """Negotiation team and its memos (委建房谈判小组, 谈判备忘录; RE-TEAM-1, CORE-LOG-2)."""


@team.command(name="form")
@click.argument("project")
@click.option(
    "--member",
    "members",
    multiple=True,
    metavar="POSITION=LOGIN",
    help="leader, project_gm, marketing_director, finance_director, design_director, "
    "key_account_director, property_gm, lawyer.",
)
def team_form(project: str, members: tuple[str, ...]) -> None:
    """Form PROJECT's negotiation team, one person per position."""
    from crmcore import InvalidInput

    from .domain import NewTeam

    pairs: dict[str, str] = {}
    for item in members:
        position, sep, login = item.partition("=")
        if not sep or not position.strip() or not login.strip():
            raise InvalidInput("member", f"{item!r} is not POSITION=LOGIN", rule="RE-TEAM-1")
        if position.strip() in pairs:
            raise InvalidInput("member", f"{position} is given twice", rule="RE-TEAM-1")
        pairs[position.strip()] = login.strip()
    service, actor = _deals()
    formed = service.form_team(actor, NewTeam(project_code=project, members=pairs))
    render.done(f"team {formed.id} of {project}: {len(formed.members)} members")


@team.command(name="show")
@click.argument("project")
@json_option
def team_show(project: str, as_json: bool) -> None:
    """PROJECT's current negotiation team."""
    service, actor = _deals()
    found = service.team(actor, project)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"Negotiation team of {project} (formed {render.cell(found.formed_at)})",
        ["position", "login", "name", "conduct pledge (廉洁承诺)", "recorded by"],
        [
            (m.position, m.login, m.name, m.pledged_at or "not signed", m.pledge_recorded_by)
            for m in found.members
        ],
    )


@team.command(name="pledge")
@click.argument("project")
@click.argument("member")
def team_pledge(project: str, member: str) -> None:
    """Record that MEMBER of PROJECT's team signed the conduct pledge (廉洁承诺: no gifts, no
    terms promised privately); needed before a negotiation memo is written for them."""
    service, actor = _deals()
    found = service.record_pledge(actor, project, member)
    missing = [m.login for m in found.members if m.pledged_at is None]
    render.done(
        f"{member}: conduct pledge for {project} recorded"
        + (f"; still to sign: {', '.join(missing)}" if missing else "; every member has signed")
    )


@team.command(name="memo")
@click.argument("project")
@click.argument("client_code")
@click.option("--title", required=True)
@click.option("--body", required=True, help="What was discussed and agreed.")
def team_memo(project: str, client_code: str, title: str, body: str) -> None:
    """Write a negotiation memo with CLIENT_CODE for every team member to sign (each must have
    signed the conduct pledge, RE-TEAM-1)."""
    service, actor = _deals()
    memo = service.write_memo(actor, project, client_code, title, body)
    signers = ", ".join(s.signer for s in memo.signatures)
    render.done(f"memo {memo.id}: to be signed by {signers} (crm memo sign {memo.id})")


@team.command(name="memos")
@click.argument("project")
@json_option
def team_memos(project: str, as_json: bool) -> None:
    """PROJECT's negotiation memos and who has still to sign."""
    service, actor = _deals()
    memos = service.memos(actor, project)
    if as_json:
        render.emit_json(
            [
                {"id": m.id, "client": m.client_code, "title": m.title, "complete": m.complete}
                | {"unsigned": [s.signer for s in m.signatures if s.signed_at is None]}
                for m in memos
            ]
        )
        return
    render.table(
        f"Negotiation memos of {project}",
        ["memo", "client", "title", "written", "still to sign"],
        [
            (
                m.id,
                m.client_code,
                m.title,
                m.created_at,
                [s.signer for s in m.signatures if s.signed_at is None] or "all signed",
            )
            for m in memos
        ],
    )


# -- candidates (RE-SEL-1/2) -------------------------------------------------------------------


@click.group()
def candidate() -> None:
    """Candidate commissioning units and their ranking (委建意向单位; RE-SEL-1/2)."""


@candidate.command(name="add")
@click.argument("project")
@click.argument("client_code")
@click.option("--first-contacts", required=True, help="First contacts and their results.")
@click.option("--model", "model_acceptance", required=True, help="Acceptance of the model.")
@click.option("--past-prices", required=True, help="Prices and locations accepted before.")
@click.option("--strengths", required=True, help="Our project's strengths and weaknesses.")
@click.option("--buyers", required=True, help="Income level and housing of the buyers.")
@click.option("--price-low", required=True, help="Acceptable price range from, CNY/m².")
@click.option("--price-high", required=True, help="Acceptable price range to, CNY/m².")
@click.option("--accepted-price", required=True, help="Price it accepts, CNY/m² (RE-SEL-2 1).")
@click.option("--payment-ratio", required=True, help="Payment ratio it offers, % (RE-SEL-2 2).")
@click.option("--resources", default="0", help="Assessed value of resources offered, CNY.")
@click.option("--owner-occupiers", required=True, help="Share of owner-occupiers, %.")
@click.option("--other", help="Anything else the analysis found (不限于).")
def candidate_add(project: str, client_code: str, **options: Any) -> None:
    """Screen CLIENT_CODE as a candidate for PROJECT with its client analysis."""
    from .domain import CandidateAnalysis

    service, actor = _deals()
    options["past_prices_locations"] = options.pop("past_prices")
    options["strengths_weaknesses"] = options.pop("strengths")
    options["buyers_income_housing"] = options.pop("buyers")
    options["resources_value"] = options.pop("resources")
    options["owner_occupier_share"] = options.pop("owner_occupiers")
    added = service.add_candidate(
        actor, CandidateAnalysis(project_code=project, client_code=client_code, **options)
    )
    render.done(f"candidate {added.client_code} for {project}: rank {added.rank}")


@candidate.command(name="list")
@click.argument("project")
@json_option
def candidate_list(project: str, as_json: bool) -> None:
    """PROJECT's candidates in RE-SEL-2 order."""
    service, actor = _deals()
    ranked = service.candidates(actor, project)
    if as_json:
        render.emit_json(ranked)
        return
    render.table(
        f"Candidates for {project} (RE-SEL-2)",
        ["rank", "client", "name", "accepted price", "payment %", "resources", "owner-occ. %"],
        [
            (
                c.rank,
                c.client_code,
                c.client_name,
                c.accepted_price,
                c.payment_ratio,
                c.resources_value,
                c.owner_occupier_share,
            )
            for c in ranked
        ],
    )


# -- selection (RE-SEL-2) ----------------------------------------------------------------------


@click.group()
def selection() -> None:
    """The proposed commissioning unit and its GM/chairman approval (RE-SEL-2)."""


def _selection_done(found: Selection) -> None:
    waiting = f", waiting for {found.waiting_for}" if found.waiting_for else ""
    render.done(f"selection {found.id} ({found.client_code}): {found.status}{waiting}")


@selection.command(name="propose")
@click.argument("project")
@click.argument("client_code")
@click.option("--reason", help="Why, when the unit is not the first-ranked.")
def selection_propose(project: str, client_code: str, reason: str | None) -> None:
    """Propose CLIENT_CODE as PROJECT's commissioning unit."""
    service, actor = _deals()
    _selection_done(service.propose(actor, project, client_code, reason=reason))


@selection.command(name="approve")
@click.argument("selection_id", type=int)
@click.option("--comment")
def selection_approve(selection_id: int, comment: str | None) -> None:
    """Approve as the GM or the chairman."""
    service, actor = _deals()
    _selection_done(service.decide_selection(actor, selection_id, approve=True, comment=comment))


@selection.command(name="reject")
@click.argument("selection_id", type=int)
@click.option("--reason", required=True)
def selection_reject(selection_id: int, reason: str) -> None:
    """Reject as the GM or the chairman."""
    service, actor = _deals()
    _selection_done(service.decide_selection(actor, selection_id, approve=False, comment=reason))


@selection.command(name="list")
@click.argument("project")
@json_option
def selection_list(project: str, as_json: bool) -> None:
    """PROJECT's proposed and decided selections."""
    service, actor = _deals()
    found = service.selections(actor, project)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"Selections for {project}",
        ["id", "client", "name", "status", "waiting for", "proposed by"],
        [
            (s.id, s.client_code, s.client_name, s.status, s.waiting_for, s.proposed_by)
            for s in found
        ],
    )


@selection.command(name="show")
@click.argument("selection_id", type=int)
@json_option
def selection_show(selection_id: int, as_json: bool) -> None:
    service, actor = _deals()
    found = service.selection(actor, selection_id)
    if as_json:
        render.emit_json(found)
        return
    render.fields(
        f"Selection {found.id} for {found.project_code}",
        [
            ("client", f"{found.client_code} {found.client_name}"),
            ("status", found.status),
            ("waiting for", found.waiting_for),
            ("reason", found.reason),
            ("proposed", f"{render.cell(found.proposed_at)} by {found.proposed_by}"),
        ],
    )
    render.table(
        "Ranking when proposed",
        ["rank", "client", *found.ranking["order"]],
        [
            (r["rank"], r["client"], *(r[k] for k in found.ranking["order"]))
            for r in found.ranking["ranked"]
        ],
    )


# -- price (RE-PRICE-1..6) ---------------------------------------------------------------------


@click.group()
def price() -> None:
    """Price analysis and the average price approval (均价审批; RE-PRICE-1..6)."""


def _analysis_done(found: PriceAnalysis) -> None:
    waiting = f", waiting for {found.waiting_for}" if found.waiting_for else ""
    render.done(f"price analysis {found.id} ({found.client_code}): {found.status}{waiting}")


def _record_input(project: str, kind: str, value: str, note: str | None) -> None:
    from .domain import NewPriceInput

    service, actor = _deals()
    found = service.pricing.record_input(
        actor, NewPriceInput(project_code=project, kind=kind, value=value, note=note)
    )
    render.done(f"{project}: {kind.replace('_', ' ')} version {found.version} recorded")


@price.command(name="cost")
@click.argument("project")
@click.argument("value")
@click.option("--note", help="Uncertainties of the estimate and what they may cost.")
def price_cost(project: str, value: str, note: str | None) -> None:
    """Record PROJECT's unit cost, CNY/m², as the cost department (成本部; RE-PRICE-5)."""
    _record_input(project, "unit_cost", value, note)


@price.command(name="retail")
@click.argument("project")
@click.argument("value")
@click.option("--note", help="Nearby prices and brand value it rests on.")
def price_retail(project: str, value: str, note: str | None) -> None:
    """Record PROJECT's retail reference price, CNY/m², as sales (销售部; RE-PRICE-5)."""
    _record_input(project, "retail_reference", value, note)


@price.command(name="inputs")
@click.argument("project")
@json_option
def price_inputs(project: str, as_json: bool) -> None:
    """Every version of PROJECT's unit cost and retail reference (the cost masked unless
    cleared, RE-PRICE-6); analyses use the newest."""
    service, actor = _deals()
    found = service.pricing.inputs(actor, project)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"Price analysis inputs of {project} (RE-PRICE-5)",
        ["input", "version", "CNY/m²", "note", "recorded", "by"],
        [
            (
                i.kind,
                i.version,
                render.shown(i, "value"),
                render.shown(i, "note"),
                i.recorded_at,
                i.recorded_by,
            )
            for i in found
        ],
    )


@price.command(name="analyse")
@click.argument("project")
@click.argument("client_code")
@click.option("--stage", required=True, help="land, listing or construction (RE-PRICE-1).")
@click.option("--comparable", required=True, help="Comparable nearby price, CNY/m².")
@click.option("--average", required=True, help="The average price the meeting set, CNY/m².")
@click.option("--payment-ratio", required=True, help="Payment ratio, % (RE-PRICE-3).")
@click.option("--notes")
def price_analyse(
    project: str,
    client_code: str,
    stage: str,
    comparable: str,
    average: str,
    payment_ratio: str,
    notes: str | None,
) -> None:
    """Record the price analysis for CLIENT_CODE in PROJECT (a draft), from the project's
    latest unit cost and retail reference (crm realestate price cost/retail)."""
    from .domain import NewPriceAnalysis

    service, actor = _deals()
    found = service.pricing.analyse(
        actor,
        NewPriceAnalysis(
            project_code=project,
            client_code=client_code,
            stage=stage,
            comparable_price=comparable,
            average_price=average,
            payment_ratio=payment_ratio,
            notes=notes,
        ),
    )
    render.done(
        f"price analysis {found.id} ({found.client_code}): draft; blind reference "
        f"{found.blind_reference}, experience-based reference "
        f"{render.shown(found, 'cost_plus_reference')}"
    )


@price.command(name="exchange")
@click.argument("analysis_id", type=int)
@click.option("--what", "description", required=True, help="The resource exchanged.")
@click.option(
    "--timing",
    required=True,
    type=click.Choice(["received", "receiving", "future"]),
    help="Benefit already received, being received, or to come.",
)
@click.option("--assessed", required=True, help="Assessed value of the benefit, CNY.")
@click.option("--discount", required=True, help="Discount granted for it, CNY.")
@click.option("--risk", "risk_assessment", help="Risk assessment (required for future).")
def price_exchange(analysis_id: int, **options: Any) -> None:
    """Attach a resource-exchange discount to a draft analysis (RE-PRICE-4)."""
    from .domain import NewExchange

    service, actor = _deals()
    found = service.pricing.add_exchange(
        actor,
        analysis_id,
        NewExchange(
            description=options["description"],
            timing=options["timing"],
            assessed_value=options["assessed"],
            discount=options["discount"],
            risk_assessment=options["risk_assessment"],
        ),
    )
    render.done(f"price analysis {found.id}: total discount {found.total_discount}")


@price.command(name="submit")
@click.argument("analysis_id", type=int)
@click.option("--comment")
def price_submit(analysis_id: int, comment: str | None) -> None:
    """Send a draft analysis up the five-step approval chain (RE-PRICE-5)."""
    service, actor = _deals()
    _analysis_done(service.pricing.submit(actor, analysis_id, comment=comment))


@price.command(name="approve")
@click.argument("analysis_id", type=int)
@click.option("--comment")
def price_approve(analysis_id: int, comment: str | None) -> None:
    """Approve as the next approver of the chain."""
    service, actor = _deals()
    _analysis_done(service.pricing.decide(actor, analysis_id, approve=True, comment=comment))


@price.command(name="reject")
@click.argument("analysis_id", type=int)
@click.option("--reason", required=True)
def price_reject(analysis_id: int, reason: str) -> None:
    """Reject as the next approver of the chain."""
    service, actor = _deals()
    _analysis_done(service.pricing.decide(actor, analysis_id, approve=False, comment=reason))


def _analysis_rows(found: PriceAnalysis) -> list[tuple[str, Any]]:
    return [
        ("client", f"{found.client_code} {found.client_name}"),
        ("stage", found.stage),
        ("status", found.status),
        ("waiting for", found.waiting_for),
        ("comparable price", found.comparable_price),
        ("blind reference (盲目定价)", found.blind_reference),
        ("unit cost", render.shown(found, "unit_cost")),
        ("unit cost version", found.unit_cost_version),
        ("experience-based reference (经验定价)", render.shown(found, "cost_plus_reference")),
        ("retail reference", found.retail_reference),
        ("retail reference version", found.retail_reference_version),
        ("average price", render.shown(found, "average_price")),
        ("payment ratio %", found.payment_ratio),
        ("total discount", found.total_discount),
        ("warning", found.stage_warning),
    ]


@price.command(name="show")
@click.argument("analysis_id", type=int)
@json_option
def price_show(analysis_id: int, as_json: bool) -> None:
    """A price analysis; the cost and an unapproved price show only to those cleared."""
    service, actor = _deals()
    found = service.pricing.get(actor, analysis_id)
    if as_json:
        render.emit_json(found)
        return
    render.fields(f"Price analysis {found.id} for {found.project_code}", _analysis_rows(found))
    if found.exchanges:
        render.table(
            "Resource exchanges (RE-PRICE-4)",
            ["what", "timing", "assessed", "discount", "cap"],
            [
                (e.description, e.timing, e.assessed_value, e.discount, e.cap)
                for e in found.exchanges
            ],
        )


@price.command(name="list")
@click.argument("project")
@json_option
def price_list(project: str, as_json: bool) -> None:
    service, actor = _deals()
    found = service.pricing.list(actor, project)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"Price analyses of {project}",
        ["id", "client", "stage", "status", "average price", "payment %"],
        [
            (
                a.id,
                a.client_code,
                a.stage,
                a.status,
                render.shown(a, "average_price"),
                a.payment_ratio,
            )
            for a in found
        ],
    )


@price.command(name="quote")
@click.argument("project")
@click.argument("client_code")
@json_option
def price_quote(project: str, client_code: str, as_json: bool) -> None:
    """The approved average price that may be told to CLIENT_CODE (RE-PRICE-6)."""
    service, actor = _deals()
    found = service.pricing.quote(actor, project, client_code)
    if as_json:
        render.emit_json(found)
        return
    render.done(
        f"{client_code} in {project}: average price {found.average_price} CNY/m², "
        f"payment ratio {found.payment_ratio}% (approved {render.cell(found.approved_at)})"
    )

"""``crm realestate ...``: parse, call the service, render. No business rule lives here.

Commands come in groups (inventory, targets, releases, buyers, tickets, money); the deals part
(financing, team, candidates, selection, price approval) brings its groups from ``deals.cli``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, parse_date
from crmcore_realestate.deals.cli import deals_cli
from crmcore_realestate.deals.cli import price as deals_price

if TYPE_CHECKING:
    from crmcore_realestate.services import RealEstateService, Ticket


def _service() -> tuple[RealEstateService, Any]:
    from crmcore_realestate.services import RealEstateService

    app = current()
    return RealEstateService(app.crm), app.actor


def _rows(path: str, fmt: str | None) -> list[dict[str, str | None]]:
    """Rows of a CSV or XLSX file through crmcore's import readers (header = field names)."""
    from crmcore.errors import InvalidInput
    from crmcore.io.readers import open_source

    file = Path(path)
    kind = fmt or file.suffix.lower().lstrip(".")
    if kind not in ("csv", "xlsx"):
        raise InvalidInput("file", f"{file.name}: give a .csv or .xlsx file (or --format)")
    source = open_source(file, kind)
    out = []
    for row in source.rows:
        if row.cells is None:
            raise InvalidInput("file", f"row {row.number}: {row.problem}")
        out.append({k.strip().lower(): v for k, v in row.cells.items()})
    return out


def _ticket_fields(view: Ticket) -> None:
    render.fields(
        f"选房工作票 {view.number}",
        [
            ("unit", view.unit),
            ("commissioning unit", view.client),
            ("buyer", f"{view.buyer} {view.id_number}"),
            ("unit price × area = total", f"{view.unit_price} × {view.area} = {view.total}"),
            ("discount", view.discount),
            ("payment", f"{view.payment_mode}, ratio {view.payment_ratio * 100:.0f}%"),
            ("reservation fee", view.reservation_fee),
            ("due / paid", f"{view.due} / {view.paid}"),
            ("refunded", view.refunded or None),
            ("checked by", view.checked_by),
            (
                "buyer's signed copy",
                view.signed_by
                and f"held, recorded by {view.signed_by} at {render.cell(view.signed_at)}"
                + (f", scan document {view.signed_copy}" if view.signed_copy else ""),
            ),
            ("voucher", view.voucher),
            ("countersigned", view.voucher_countersigned),
            ("in force", view.in_force),
        ],
    )


@click.group(name="realestate")
def realestate() -> None:
    """Commissioned-build real estate (委托建房): control table, buyers, tickets, money trail."""


# -- inventory (RE-INV-1) ------------------------------------------------------------------


@realestate.group()
def project() -> None:
    """Projects (楼盘)."""


@project.command(name="add")
@click.argument("code")
@click.argument("name")
def project_add(code: str, name: str) -> None:
    service, actor = _service()
    render.done(f"project {service.add_project(actor, code, name)}")


@realestate.group()
def units() -> None:
    """The unit control table (楼盘控制表, RE-INV-1), shared by retail and key accounts."""


@units.command(name="load")
@click.argument("project_code")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the suffix."
)
def units_load(project_code: str, file: str, fmt: str | None) -> None:
    """Load units from FILE with columns building, unit, floor, layout, area (all or nothing)."""
    service, actor = _service()
    count = service.load_units(actor, project_code, _rows(file, fmt))
    render.done(f"{count} units loaded into {project_code}")


@units.command(name="grid")
@click.argument("project_code")
@json_option
def units_grid(project_code: str, as_json: bool) -> None:
    """The control table by building and floor (top floor first)."""
    from crmcore_realestate.domain import STATUS_ZH, control_grid, status_counts

    service, actor = _service()
    rows = service.units(actor, project_code)
    if as_json:
        render.emit_json(rows)
        return
    for building, (columns, lines) in control_grid(rows).items():
        render.table(f"{project_code} building {building}", columns, lines)
    counts = status_counts(rows)
    render.fields("units", [(f"{STATUS_ZH[k]} ({k})", v) for k, v in counts.items()])


def _unit_command(name: str, help_text: str) -> Any:
    def decorate(fn: Any) -> Any:
        fn = click.argument("unit")(fn)
        fn = click.argument("project_code")(fn)
        return units.command(name=name, help=help_text)(fn)

    return decorate


@_unit_command("reserve", "Retail reservation of UNIT (BUILDING-UNIT) for a customer.")
@click.option("--holder", required=True, help="The customer's name.")
def units_reserve(project_code: str, unit: str, holder: str) -> None:
    service, actor = _service()
    view = service.reserve(actor, project_code, unit, holder)
    render.done(f"{view.ref}: {view.status}")


@_unit_command("unreserve", "Cancel a retail reservation.")
def units_unreserve(project_code: str, unit: str) -> None:
    service, actor = _service()
    render.done(f"{service.cancel_reservation(actor, project_code, unit).ref}: available")


@_unit_command("sell", "A retail sale of UNIT.")
@click.option("--holder", help="The buyer's name.")
def units_sell(project_code: str, unit: str, holder: str | None) -> None:
    service, actor = _service()
    render.done(f"{service.sell_retail(actor, project_code, unit, holder).ref}: retail_sold")


# -- targets (RE-PLAN-1) -------------------------------------------------------------------


@realestate.group()
def target() -> None:
    """Financing targets (融资指标, RE-PLAN-1) and progress against them."""


@target.command(name="set")
@click.argument("year", type=int)
@click.argument("amount")
@click.option("--quarter", type=click.IntRange(1, 4), help="The quarter the money funds.")
@click.option("--issued", help="YYYY-MM-DD, default today.")
@click.option("--note")
def target_set(
    year: int, amount: str, quarter: int | None, issued: str | None, note: str | None
) -> None:
    service, actor = _service()
    value = service.set_target(
        actor, year, amount, quarter=quarter, issued_on=parse_date(issued, "issued"), note=note
    )
    render.done(
        f"target {value.year}{f' Q{value.quarter}' if value.quarter else ''}: {value.amount}"
    )


@target.command(name="progress")
@click.argument("year", type=int)
@click.option("--quarter", type=click.IntRange(1, 4))
@json_option
def target_progress(year: int, quarter: int | None, as_json: bool) -> None:
    """Sales progress: money received against the financing target."""
    service, actor = _service()
    view = service.progress(actor, year, quarter)
    if as_json:
        render.emit_json(view)
        return
    render.fields(
        f"financing {year}{f' Q{quarter}' if quarter else ''}",
        [
            ("target", view.target),
            ("received", view.received),
            ("progress", f"{view.percent}%" if view.percent is not None else None),
            ("units selected", view.units_selected),
            ("units sold (voucher)", view.units_sold),
        ],
    )


# -- negotiation and price approval (RE-START-1 .. RE-PRICE-6, the deals part) -------------

for _group in deals_cli():
    realestate.add_command(_group)


@deals_price.command(name="unit")
@click.argument("project_code")
@click.argument("client_code")
@click.argument("unit")
def price_unit(project_code: str, client_code: str, unit: str) -> None:
    """The unit price per m² from the approved average (refused before approval, RE-PRICE-6)."""
    service, actor = _service()
    click.echo(service.unit_price(actor, project_code, client_code, unit))


# -- releases (RE-ALLOC-1) ---------------------------------------------------------------


@realestate.group()
def release() -> None:
    """Releases of units to a commissioning unit (发放房源, RE-ALLOC-1)."""


@release.command(name="request")
@click.argument("project_code")
@click.argument("client_code")
@click.argument("units_", metavar="UNITS...", nargs=-1, required=True)
@click.option(
    "--without-target",
    metavar="REASON",
    help="No financing target yet: the 原则上 exception, the chairman approves too.",
)
def release_request(
    project_code: str, client_code: str, units_: tuple[str, ...], without_target: str | None
) -> None:
    """Ask to release UNITS; marketing director, finance director, project GM, GM approve
    (``crm workflow advance ID approve``)."""
    service, actor = _service()
    view = service.request_release(
        actor, project_code, client_code, list(units_), without_target=without_target
    )
    for warning in view.warnings:
        click.echo(f"warning: {warning}", err=True)
    render.done(f"{view.number}: {len(view.units)} units, approval workflow {view.instance_id}")


@release.command(name="show")
@click.argument("number")
@json_option
def release_show(number: str, as_json: bool) -> None:
    service, actor = _service()
    view = service.release(actor, number)
    if as_json:
        render.emit_json(view)
        return
    render.fields(
        f"release {view.number}",
        [
            ("client", view.client),
            ("status", view.status),
            ("units", view.units),
            ("workflow", view.instance_id),
            ("without financing target", view.without_target),
            ("warnings", view.warnings),
        ],
    )


# -- buyers (RE-LIST-1) ----------------------------------------------------------------------


@realestate.group()
def buyers() -> None:
    """Lists of eligible buyers (购房人名单, RE-LIST-1)."""


@buyers.command(name="import")
@click.argument("project_code")
@click.argument("client_code")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]))
@click.option("--selection-deadline", help="YYYY-MM-DD (RE-DEAD-1)")
@click.option("--payment-deadline", help="YYYY-MM-DD (RE-DEAD-1)")
@click.option(
    "--rename-policy", type=click.Choice(["refuse", "charge"]), default="refuse", show_default=True
)
def buyers_import(
    project_code: str,
    client_code: str,
    file: str,
    fmt: str | None,
    selection_deadline: str | None,
    payment_deadline: str | None,
    rename_policy: str,
) -> None:
    """Import FILE with columns name, id_number."""
    service, actor = _service()
    rows = [(r.get("name") or "", r.get("id_number") or "") for r in _rows(file, fmt)]
    view = service.import_buyers(
        actor,
        project_code,
        client_code,
        rows,
        selection_deadline=parse_date(selection_deadline, "selection_deadline"),
        payment_deadline=parse_date(payment_deadline, "payment_deadline"),
        rename_policy=rename_policy,
    )
    flagged = sum(b.flagged for b in view.buyers)
    render.done(f"{view.number}: {len(view.buyers)} buyers, {flagged} flagged (on another list)")


@buyers.command(name="check")
@click.argument("list_number")
@click.option(
    "--as", "role", required=True, type=click.Choice(["audit_legal", "finance", "lawyer"])
)
@click.option("--note")
def buyers_check(list_number: str, role: str, note: str | None) -> None:
    service, actor = _service()
    view = service.check_list(actor, list_number, role, note)
    render.done(
        f"{view.number}: checked by {', '.join(view.checks)}; missing {', '.join(view.missing_checks) or 'none'}"
    )


@buyers.command(name="show")
@click.argument("list_number")
@json_option
def buyers_show(list_number: str, as_json: bool) -> None:
    service, actor = _service()
    view = service.buyer_list(actor, list_number)
    if as_json:
        render.emit_json(view)
        return
    render.table(
        f"{view.number} {view.client} ({view.project}); checked: {', '.join(view.checks) or '-'}",
        ["id", "name", "ID number", "flagged", "source"],
        [
            (b.id, b.name, b.id_number, "⚠ on another list" if b.flagged else "", b.source)
            for b in view.buyers
        ],
    )
    if view.rename_terms:
        render.table(
            "renames the contract permits (RE-RENAME-1)",
            ["relationship", "price policy", "proofs recognised"],
            [(x.relationship, x.price, ", ".join(x.proofs)) for x in view.rename_terms],
        )
    else:
        click.echo(f"renames to people off the list: {view.rename_policy} (RE-RENAME-1)")


@buyers.command(name="rename-terms")
@click.argument("list_number")
@click.option(
    "--allow",
    "terms",
    multiple=True,
    metavar="RELATIONSHIP:PRICE[:PROOF,...]",
    help="A relationship the contract permits renaming to, its price policy (free, fee, "
    "refuse) and the proofs recognised, e.g. 配偶:free:结婚证,户口簿. Repeat for each.",
)
@click.option("--clear", is_flag=True, help="None listed: back to the list's rename policy.")
def buyers_rename_terms(list_number: str, terms: tuple[str, ...], clear: bool) -> None:
    """Set the contract's permitted rename relationships (RE-RENAME-1); a new version."""
    from crmcore.errors import InvalidInput

    if bool(terms) == clear:
        raise InvalidInput("allow", "give --allow (one or more) or --clear", rule="RE-RENAME-1")
    service, actor = _service()
    view = service.set_rename_terms(actor, list_number, list(terms))
    listed = ", ".join(f"{x.relationship} ({x.price})" for x in view.rename_terms)
    render.done(
        f"{view.number}: renames permitted to {listed}"
        if listed
        else f"{view.number}: no relationships listed, renames off the list {view.rename_policy}d"
    )


@buyers.command(name="reveal")
@click.argument("list_number")
@click.argument("buyer_id", type=int)
@click.option("--reason", required=True, help="Why (recorded in the audit trail).")
def buyers_reveal(list_number: str, buyer_id: int, reason: str) -> None:
    """A buyer's ID number in clear (audit/legal; CORE-CONF-5)."""
    service, actor = _service()
    click.echo(service.reveal_buyer_id(actor, list_number, buyer_id, reason) or "-")


# -- tickets and money (RE-TICKET-*, RE-PAY-*) -----------------------------------------------


@realestate.group()
def ticket() -> None:
    """Unit-selection tickets (选房工作票, RE-TICKET-1/2/3)."""


@ticket.command(name="issue")
@click.argument("project_code")
@click.argument("client_code")
@click.argument("unit")
@click.option("--name", required=True)
@click.option("--id-number", required=True)
@click.option(
    "--mode",
    type=click.Choice(["full", "installment", "mortgage"]),
    default="installment",
    show_default=True,
)
@click.option("--ratio", default="50", show_default=True, help="Payment ratio in percent.")
@click.option("--price", help="Unit price per m², default the approved one.")
@click.option("--fee", help="Reservation fee (封户费); none when paying in full.")
@click.option("--discount", default="0", show_default=True)
@click.option("--taken", multiple=True, help="A discount taken.")
@click.option("--waived", multiple=True, help="A discount waived.")
def ticket_issue(
    project_code: str,
    client_code: str,
    unit: str,
    name: str,
    id_number: str,
    mode: str,
    ratio: str,
    price: str | None,
    fee: str | None,
    discount: str,
    taken: tuple[str, ...],
    waived: tuple[str, ...],
) -> None:
    from crmcore_realestate.domain import NewTicket

    service, actor = _service()
    new = NewTicket(
        unit=unit,
        buyer_name=name,
        id_number=id_number,
        payment_mode=mode,
        payment_ratio=ratio,
        unit_price=price,
        reservation_fee=fee,
        discount=discount,
        discounts_taken=taken,
        discounts_waived=waived,
    )
    view = service.issue_ticket(actor, project_code, client_code, new)
    render.done(f"{view.number}: {view.unit} for {view.buyer}, total {view.total}, due {view.due}")


@ticket.command(name="check")
@click.argument("number")
def ticket_check(number: str) -> None:
    """The second check by someone other than the issuer."""
    service, actor = _service()
    view = service.check_ticket(actor, number)
    render.done(
        f"{view.number}: checked by {view.checked_by}"
        + (f"; voucher {view.voucher}" if view.voucher else _voucher_waits(view))
    )


@ticket.command(name="sign")
@click.argument("number")
@click.option(
    "--scan",
    type=click.Path(exists=True, dir_okay=False),
    help="A scan of the signed copy, filed in the commissioning unit's archive.",
)
def ticket_sign(number: str, scan: str | None) -> None:
    """The buyer signed ticket NUMBER and the signed copy (客户签字联) is held (RE-TICKET-1);
    the voucher waits for it."""
    service, actor = _service()
    file = None if scan is None else (Path(scan).name, Path(scan).read_bytes())
    view = service.sign_ticket(actor, number, scan=file)
    render.done(
        f"{view.number}: buyer's signed copy held"
        + (f", scan document {view.signed_copy}" if view.signed_copy else "")
        + (f"; voucher {view.voucher}" if view.voucher else "")
    )


@ticket.command(name="show")
@click.argument("number")
@json_option
def ticket_show(number: str, as_json: bool) -> None:
    service, actor = _service()
    view = service.ticket(actor, number)
    if as_json:
        render.emit_json(view)
    else:
        _ticket_fields(view)


@realestate.command(name="pay")
@click.argument("ticket_number")
@click.argument("amount")
@click.option(
    "--kind",
    type=click.Choice(["payment", "reservation_fee"]),
    default="payment",
    show_default=True,
)
@click.option("--on", "paid_on", help="YYYY-MM-DD, default today.")
def pay(ticket_number: str, amount: str, kind: str, paid_on: str | None) -> None:
    """A receipt (收据, RE-PAY-1); the voucher is issued when paid equals due."""
    service, actor = _service()
    receipt = service.pay(
        actor, ticket_number, amount, paid_on=parse_date(paid_on, "on"), kind=kind
    )
    view = service.ticket(actor, ticket_number)
    render.done(
        f"{receipt.number}: {receipt.amount} on {ticket_number}; paid {view.paid} of {view.due}"
        + (f"; voucher {view.voucher}" if view.voucher else _voucher_waits(view))
    )


def _voucher_waits(view: Ticket) -> str:
    lacking = view.voucher_waits_for
    return f"; voucher after {' and '.join(lacking)}" if lacking else ""


@realestate.command(name="countersign")
@click.argument("voucher_number")
def countersign(voucher_number: str) -> None:
    """Countersign a selection voucher (选房凭证), as someone other than its issuer."""
    service, actor = _service()
    service.countersign(actor, voucher_number)
    render.done(f"{voucher_number}: countersigned")


@realestate.command(name="handed-in")
@click.argument("ticket_number")
@click.option("--papers", required=True, help="The receipts handed in (全部收据).")
def handed_in(ticket_number: str, papers: str) -> None:
    """The buyer handed in all receipts of TICKET_NUMBER: book the rest, issue the voucher
    (RE-PAY-1); by someone other than the ticket's issuer."""
    service, actor = _service()
    view = service.receipts_handed_in(actor, ticket_number, papers)
    render.done(
        f"{view.number}: paid {view.paid} of {view.due}"
        + (f", voucher {view.voucher}" if view.voucher else _voucher_waits(view))
    )


@realestate.command(name="reverse")
@click.argument("number")
@click.option(
    "--reason", required=True, type=click.Choice(["unit_change", "supplementary_payment"])
)
@click.option("--papers", required=True, help="The papers taken back (收回票据).")
@click.option("--to-unit", help="unit_change: the new unit.")
@click.option("--amount", help="supplementary_payment: the amount paid.")
def reverse(number: str, reason: str, papers: str, to_unit: str | None, amount: str | None) -> None:
    """Red-letter reversal (红字冲红, RE-TICKET-3) of voucher or ticket NUMBER."""
    service, actor = _service()
    view = service.reverse(actor, number, reason, papers, new_unit=to_unit, amount=amount)
    render.done(
        f"{number} reversed in red; now {view.number} on {view.unit}"
        + (f", voucher {view.voucher}" if view.voucher else "")
        + (f"; refund {view.refunded} (退款)" if view.refunded else "")
    )


@realestate.command(name="mortgage")
@click.argument("ticket_number")
@click.argument("fee")
def mortgage(ticket_number: str, fee: str) -> None:
    """Switch from full payment to a mortgage for a fee (RE-PAY-3)."""
    service, actor = _service()
    receipt = service.switch_to_mortgage(actor, ticket_number, fee)
    render.done(f"{ticket_number}: mortgage; fee receipt {receipt.number}")


@realestate.command(name="rename")
@click.argument("ticket_number")
@click.argument("name")
@click.argument("id_number")
@click.option("--market-price", help="Per m², our other projects at the same stage.")
@click.option("--relationship", help="Off the list: their relationship to the buyer (e.g. 配偶).")
@click.option("--proof", "proofs", multiple=True, help="A proof presented (e.g. 结婚证); repeat.")
def rename(
    ticket_number: str,
    name: str,
    id_number: str,
    market_price: str | None,
    relationship: str | None,
    proofs: tuple[str, ...],
) -> None:
    """Rename the buyer of a ticket (RE-RENAME-1)."""
    service, actor = _service()
    view = service.rename(
        actor,
        ticket_number,
        name,
        id_number,
        market_price=market_price,
        relationship=relationship,
        proofs=proofs,
    )
    render.done(f"{view.number}: now in the name of {view.buyer}")


@realestate.command(name="ledger")
@click.argument("client_code")
@json_option
def ledger(client_code: str, as_json: bool) -> None:
    """The ledger (台帐) of a commissioning unit: tickets, due, paid, vouchers."""
    service, actor = _service()
    lines = service.ledger(actor, client_code)
    if as_json:
        render.emit_json(lines)
        return
    render.table(
        f"台帐 {client_code}",
        [
            "ticket",
            "unit",
            "buyer",
            "ID",
            "total",
            "due",
            "paid",
            "voucher",
            "countersigned",
            "in force",
        ],
        [
            (
                x.number,
                x.unit,
                x.buyer,
                x.id_number,
                x.total,
                x.due,
                x.paid,
                x.voucher,
                "yes" if x.voucher_countersigned else "",
                "yes" if x.in_force else "红冲",
            )
            for x in lines
        ],
    )
    live = [x for x in lines if x.in_force]
    render.fields(
        "totals",
        [
            ("tickets in force", len(live)),
            ("due", sum(x.due for x in live)),
            ("paid", sum(x.paid for x in live)),
        ],
    )


@realestate.command(name="receipts")
@click.argument("client_code")
@json_option
def receipts(client_code: str, as_json: bool) -> None:
    """The receipts (收据) of a commissioning unit, in order."""
    service, actor = _service()
    rows = service.receipts(actor, client_code)
    if as_json:
        render.emit_json(rows)
        return
    render.table(
        f"收据 {client_code}",
        ["receipt", "ticket", "kind", "amount", "paid on"],
        [(r.number, r.ticket, r.kind, r.amount, r.paid_on) for r in rows],
    )


@realestate.command(name="account")
@click.argument("client_code")
@click.argument("kind", type=click.Choice(["transfer", "balance"]))
@click.argument("amount")
@click.option("--on", "on_date", required=True, help="YYYY-MM-DD")
@click.option("--reference")
def account(client_code: str, kind: str, amount: str, on_date: str, reference: str | None) -> None:
    """A transfer into the co-managed account, or its bank balance (RE-PAY-2)."""
    service, actor = _service()
    service.record_account(actor, client_code, kind, amount, parse_date(on_date, "on"), reference)  # type: ignore[arg-type]
    render.done(f"{client_code}: {kind} {amount}")


@realestate.command(name="reconcile")
@click.argument("client_code")
@json_option
def reconcile(client_code: str, as_json: bool) -> None:
    """Receipts against the co-managed account (RE-PAY-2)."""
    service, actor = _service()
    view = service.reconcile(actor, client_code)
    if as_json:
        render.emit_json(view)
        return
    render.fields(
        f"reconciliation {client_code}",
        [
            ("receipts", view.receipts),
            ("transferred", view.transferred),
            ("not yet transferred", view.not_transferred),
            ("bank balance", view.bank_balance),
            ("balance − transferred", view.difference),
        ],
    )


@realestate.command(name="overdue")
@click.option("--on", "on_date", help="YYYY-MM-DD, default today.")
@json_option
def overdue(on_date: str | None, as_json: bool) -> None:
    """Selection and payment deadlines passed (RE-DEAD-1)."""
    service, actor = _service()
    rows = service.overdue(actor, parse_date(on_date, "on"))
    if as_json:
        render.emit_json(rows)
        return
    render.table(
        "overdue",
        ["kind", "list", "buyer", "ticket", "deadline", "outstanding"],
        [(r.kind, r.list, r.buyer, r.ticket, r.deadline, r.outstanding) for r in rows],
    )


# -- relationship units (RE-REL-1) -----------------------------------------------------------


@realestate.group()
def relation() -> None:
    """Relationship units (关系房, RE-REL-1): phone approval, paperwork within 5 working days."""


@relation.command(name="add")
@click.argument("project_code")
@click.argument("unit")
@click.option("--handler", required=True, help="经办人")
@click.option("--department", required=True)
@click.option("--phone-approver", required=True, help="GM level or above")
@click.option("--average-price", required=True)
@click.option("--ratio", "payment_ratio", required=True, help="Payment ratio in percent.")
@click.option("--payment-date", required=True, help="YYYY-MM-DD")
def relation_add(
    project_code: str,
    unit: str,
    handler: str,
    department: str,
    phone_approver: str,
    average_price: str,
    payment_ratio: str,
    payment_date: str,
) -> None:
    service, actor = _service()
    due = service.record_relation(
        actor,
        project_code,
        unit,
        handler=handler,
        department=department,
        phone_approver=phone_approver,
        average_price=average_price,
        payment_ratio=payment_ratio,
        payment_date=parse_date(payment_date, "payment_date"),  # type: ignore[arg-type]
    )
    render.done(f"{unit}: relationship unit; paperwork due {due}")


@relation.command(name="file")
@click.argument("project_code")
@click.argument("unit")
def relation_file(project_code: str, unit: str) -> None:
    """The written approval has been filed."""
    service, actor = _service()
    service.file_relation_paperwork(actor, project_code, unit)
    render.done(f"{unit}: paperwork filed")


@relation.command(name="pay")
@click.argument("project_code")
@click.argument("unit")
@click.argument("amount")
@click.option("--on", "paid_on", help="YYYY-MM-DD, default today.")
def relation_pay(project_code: str, unit: str, amount: str, paid_on: str | None) -> None:
    """A payment for a relationship unit; after the approval's payment date it is due at the
    relationship price policy in force on the day (RE-REL-1)."""
    service, actor = _service()
    view = service.pay_relation(
        actor, project_code, unit, amount, paid_on=parse_date(paid_on, "on")
    )
    render.done(
        f"{view.number}: {view.amount} on {view.unit}; paid {view.paid} of {view.due}"
        + (
            f" (late: due by {view.payment_date}, at {view.unit_price}/m² of {view.price_policy})"
            if view.late
            else ""
        )
    )


@relation.command(name="show")
@click.argument("project_code")
@click.argument("unit")
@json_option
def relation_show(project_code: str, unit: str, as_json: bool) -> None:
    """A relationship unit: its approval, paperwork and payments (RE-REL-1)."""
    service, actor = _service()
    view = service.relation(actor, project_code, unit)
    if as_json:
        render.emit_json(view)
        return
    render.fields(
        f"关系房 {project_code} {view.unit}",
        [
            ("handler / department", f"{view.handler} / {view.department}"),
            ("phone approval", view.phone_approver),
            ("average price, ratio", f"{view.average_price}, {view.payment_ratio * 100:.0f}%"),
            ("payment date", view.payment_date),
            ("paperwork", view.paperwork_on or f"due {view.paperwork_due}"),
            ("due / paid", f"{view.due} / {view.paid}"),
        ],
    )
    render.table(
        "payments",
        ["number", "amount", "paid on", "late", "price", "price policy", "due"],
        [
            (
                x.number,
                x.amount,
                x.paid_on,
                "逾期" if x.late else "",
                x.unit_price,
                x.price_policy,
                x.due,
            )
            for x in view.payments
        ],
    )


@relation.group(name="price")
def relation_price() -> None:
    """The price policy for relationship units (RE-REL-1): dated, approved by the GM."""


@relation_price.command(name="set")
@click.option("--average-price", required=True, help="Per m².")
@click.option("--from", "valid_from", required=True, help="YYYY-MM-DD")
@click.option("--note")
def relation_price_set(average_price: str, valid_from: str, note: str | None) -> None:
    service, actor = _service()
    day = parse_date(valid_from, "from")
    assert day is not None  # required
    view = service.set_relation_price(actor, average_price, day, note=note)
    render.done(f"{view.number}: {view.average_price}/m² from {view.valid_from}; the GM approves")


@relation_price.command(name="approve")
@click.argument("number")
def relation_price_approve(number: str) -> None:
    service, actor = _service()
    view = service.approve_relation_price(actor, number)
    render.done(f"{view.number}: approved by {view.approved_by}, in force from {view.valid_from}")


@relation_price.command(name="list")
@json_option
def relation_price_list(as_json: bool) -> None:
    service, actor = _service()
    rows = service.relation_prices(actor)
    if as_json:
        render.emit_json(rows)
        return
    render.table(
        "relationship price policies (关系房价格政策)",
        ["number", "average price", "from", "approved by", "note"],
        [(x.number, x.average_price, x.valid_from, x.approved_by or "-", x.note) for x in rows],
    )

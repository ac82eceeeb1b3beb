"""``crm distribution``: distributors, products, orders, invoices, payments, credit."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, parse_date

if TYPE_CHECKING:
    from crmcore_distribution.services import DistributionService
    from crmcore_distribution.views import OrderView


def _service() -> tuple[DistributionService, Any]:
    from crmcore_distribution.services import DistributionService

    app = current()
    return DistributionService(app.crm), app.actor


@click.group()
def distribution() -> None:
    """Distributor credit tiers (分销商信用等级): orders, terms, credit (DIST-*).

    Score classes A-D come from `crm classify run CLS-SCORE-1`; credit grades from the credit
    committee (`crm distribution review`). Approvals run as workflows: `crm tasks`.
    """


@distribution.command()
@click.argument("code")
@click.option("--grade", help="Initial credit grade A-D (default: the DIST-CRED-1 policy's, C).")
@click.option("--limit", help="Initial credit limit in CNY (default 0).")
def register(code: str, grade: str | None, limit: str | None) -> None:
    """Make a client a distributor."""
    service, actor = _service()
    view = service.register(actor, code, grade=grade, limit=limit)
    render.done(
        f"{view.client_code} is a distributor: credit grade {view.credit_grade}, limit {_money(view, 'credit_limit')}"
    )


@distribution.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Distributors with their classes, terms, limit and exposure."""
    service, actor = _service()
    views = service.list(actor)
    if as_json:
        render.emit_json(views)
        return
    render.table(
        "Distributors",
        [
            "client",
            "name",
            "score class",
            "pay class",
            "credit grade",
            "terms",
            "limit",
            "exposure",
            "available",
        ],
        [
            (
                v.client_code,
                v.client_name,
                v.score_class,
                v.payment_class,
                v.credit_grade,
                v.terms,
                _money(v, "credit_limit"),
                _money(v, "exposure"),
                _money(v, "available"),
            )
            for v in views
        ],
    )


@distribution.command()
@click.argument("code")
@json_option
def show(code: str, as_json: bool) -> None:
    """One distributor: classes, terms, credit, open invoices, its receivables record."""
    service, actor = _service()
    view = service.get(actor, code)
    invoices = service.invoices(actor, code=code, open_only=True)
    events = service.events(actor, code)
    cards = current().crm.figures.sheet(actor, code).scorecards  # CLS-SCORE-1, newest first
    if as_json:
        render.emit_json(
            {
                "distributor": view,
                "scorecards": cards,
                "open_invoices": invoices,
                "events": events,
            }
        )
        return
    render.fields(
        f"{view.client_code} {view.client_name}",
        [
            (
                "score class (CLS-SCORE-1)",
                f"{view.score_class} ({_points(view.score)})" if view.score_class else None,
            ),
            (
                "payment class",
                f"{view.payment_class}"
                + (f" (lowered {view.downgrades}x, DIST-PAY-2)" if view.downgrades else ""),
            ),
            ("payment terms", view.terms),
            ("credit grade", view.credit_grade),
            ("credit limit", _money(view, "credit_limit")),
            ("period sales", render.shown(view, "period_sales")),
            ("receivables", _money(view, "receivables")),
            ("open orders on credit", _money(view, "committed")),
            ("available", _money(view, "available")),
        ],
    )
    if cards and cards[0].scores is not None:  # None: masked (CLS-SCORE-1)
        render.table(
            f"Scorecard {cards[0].year} (CLS-SCORE-1)",
            ["criterion", "score"],
            list(cards[0].scores.items()),
        )
    if invoices:
        _invoice_table(invoices)
    if events:
        render.table(
            "Receivables record (应收账款档案)",
            ["date", "what", "rule", "summary", "by"],
            [(e.occurred_on, e.kind, e.rule, render.shown(e, "summary"), e.by) for e in events],
        )


@distribution.group()
def product() -> None:
    """Products and their internal control prices (内控价, DIST-PRICE-1)."""


@product.command(name="add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--unit", default="件", show_default=True)
@click.option("--control-price", required=True, help="Internal control price in CNY.")
@click.option("--from", "effective_from", help="Effective from (YYYY-MM-DD); default today.")
def product_add(
    code: str, name: str, unit: str, control_price: str, effective_from: str | None
) -> None:
    service, actor = _service()
    view = service.add_product(
        actor,
        code,
        name,
        control_price,
        unit=unit,
        effective_from=parse_date(effective_from, "from"),
    )
    render.done(f"product {view.code} {view.name}")


@product.command(name="price")
@click.argument("code")
@click.argument("price")
@click.option("--from", "effective_from", help="Effective from (YYYY-MM-DD); default today.")
@click.option("--reason")
def product_price(code: str, price: str, effective_from: str | None, reason: str | None) -> None:
    """Set a new control price from a date on."""
    service, actor = _service()
    view = service.set_control_price(
        actor, code, price, effective_from=parse_date(effective_from, "from"), reason=reason
    )
    render.done(f"{view.code}: control price {view.control_price} since {view.since}")


@product.command(name="list")
@click.option("--on", "on", help="Prices in force on this date.")
@json_option
def product_list(on: str | None, as_json: bool) -> None:
    service, actor = _service()
    views = service.products(actor, on=parse_date(on, "on"))
    if as_json:
        render.emit_json(views)
        return
    render.table(
        "Products",
        ["code", "name", "unit", "control price", "since"],
        [(v.code, v.name, v.unit, v.control_price, v.since) for v in views],
    )


@distribution.command()
@click.argument("code")
@click.option(
    "--line",
    "lines",
    multiple=True,
    required=True,
    metavar="PRODUCT:QTY:PRICE",
    help="An order line (repeatable).",
)
@click.option("--rush", is_flag=True, help="A rush order (加急插单, DIST-DLV-1).")
@click.option(
    "--exception", help="Ask for an exception to the price bound, with the reason (DIST-PRICE-1)."
)
@click.option("--on", "on", help="Order date (YYYY-MM-DD, not in the future); default today.")
@json_option
def order(
    code: str,
    lines: tuple[str, ...],
    rush: bool,
    exception: str | None,
    on: str | None,
    as_json: bool,
) -> None:
    """Place an order: price bound, terms, credit check; held for approval when needed."""
    from crmcore_distribution.domain import NewOrder

    service, actor = _service()
    view = service.place(
        actor, code, NewOrder(lines=lines, rush=rush, exception=exception), on=parse_date(on, "on")
    )
    if as_json:
        render.emit_json(view)
        return
    _print_order(view)


@distribution.command(name="orders")
@click.option("--client", "code")
@click.option("--status", type=click.Choice(["held", "accepted", "delivered", "refused"]))
@click.option("--limit", type=int, default=100, show_default=True)
@json_option
def orders_(code: str | None, status: str | None, limit: int, as_json: bool) -> None:
    """Orders, newest first."""
    service, actor = _service()
    views = service.orders(actor, code=code, status=status, limit=limit)
    if as_json:
        render.emit_json(views)
        return
    render.table(
        "Orders",
        [
            "order",
            "client",
            "status",
            "amount",
            "class",
            "terms",
            "rush",
            "placed",
            "promised",
            "holds",
        ],
        [
            (
                v.id,
                v.client_code,
                v.status,
                f"{v.amount:,.2f}",
                v.score_class,
                v.terms,
                "rush" if v.rush else "",
                v.placed_on,
                v.promised_on,
                v.holds,
            )
            for v in views
        ],
    )


@distribution.command(name="order-show")
@click.argument("order_id", type=int)
@json_option
def order_show(order_id: int, as_json: bool) -> None:
    service, actor = _service()
    view = service.order(actor, order_id)
    if as_json:
        render.emit_json(view)
        return
    _print_order(view)


@distribution.command()
@click.argument("order_id", type=int)
@click.option("--on", "on", help="Delivery date (YYYY-MM-DD); default today.")
def deliver(order_id: int, on: str | None) -> None:
    """Ship an accepted order and invoice it (due date from its payment terms)."""
    service, actor = _service()
    view = service.deliver(actor, order_id, on=parse_date(on, "on"))
    render.done(f"order {view.id} delivered on {view.delivered_on}; invoice {view.invoice_id}")


@distribution.command()
@click.option("--client", "code")
@click.option("--open", "open_only", is_flag=True, help="Only invoices not fully paid.")
@json_option
def invoices(code: str | None, open_only: bool, as_json: bool) -> None:
    """Invoices, newest first."""
    service, actor = _service()
    views = service.invoices(actor, code=code, open_only=open_only)
    if as_json:
        render.emit_json(views)
        return
    _invoice_table(views)


@distribution.command()
@click.argument("invoice_id", type=int)
@click.argument("amount")
@click.option("--on", "on", help="Payment date (YYYY-MM-DD); default today.")
@json_option
def pay(invoice_id: int, amount: str, on: str | None, as_json: bool) -> None:
    """Record a payment; late ones count towards DIST-PAY-2."""
    service, actor = _service()
    result = service.pay(actor, invoice_id, amount, on=parse_date(on, "on"))
    if as_json:
        render.emit_json(result)
        return
    inv = result.invoice
    render.done(
        f"invoice {inv.id}: paid {_money(inv, 'paid')} of {inv.amount:,.2f}"
        + (" (late)" if result.late else "")
        + (f"; settled {inv.settled_on}" if inv.settled_on else "")
    )
    if result.downgrade:
        render.done(f"DIST-PAY-2: {result.downgrade.summary}")


@distribution.command()
@click.option(
    "--spare",
    type=int,
    default=0,
    show_default=True,
    help="Rush orders of class B production can fit in now.",
)
@json_option
def queue(spare: int, as_json: bool) -> None:
    """Delivery queue: A's rush orders first, class by class, by score (DIST-DLV-1)."""
    service, actor = _service()
    entries = service.queue(actor, spare=spare)
    if as_json:
        render.emit_json(entries)
        return
    render.table(
        "Delivery queue",
        ["#", "order", "client", "class", "score", "rush", "placed", "promised", "note"],
        [
            (
                e.position,
                e.order_id,
                e.client_code,
                e.score_class,
                f"{e.score.normalize():f}" if e.score is not None else render.MASKED,
                "rush" if e.rush else "",
                e.placed_on,
                e.promised_on,
                "; ".join(
                    n
                    for n, on in (("LATE", e.late), ("awaiting prepayment", e.awaiting_prepayment))
                    if on
                ),
            )
            for e in entries
        ],
    )


@distribution.command()
@click.argument("code")
@click.option("--grade", required=True, help="Proposed credit grade A-D.")
@click.option("--limit", required=True, help="Proposed credit limit in CNY.")
@click.option("--period-sales", help="Sales in the contracted account period (needed for grade A).")
@click.option("--reason", required=True)
def review(code: str, grade: str, limit: str, period_sales: str | None, reason: str) -> None:
    """Finance proposes a credit grade and limit; the credit committee approves (DIST-CRED-3)."""
    service, actor = _service()
    instance = service.propose_review(
        actor, code, grade=grade, limit=limit, period_sales=period_sales, reason=reason
    )
    render.done(
        f"workflow {instance.id}: {instance.title}, waiting for {', '.join(instance.waiting_for)}"
    )


@distribution.command()
@click.argument("code")
@click.option("--reason", required=True)
def investigate(code: str, reason: str) -> None:
    """Sales asks finance for a credit investigation (DIST-CRED-4)."""
    service, actor = _service()
    instance = service.request_investigation(actor, code, reason=reason)
    render.done(
        f"workflow {instance.id}: {instance.title}, waiting for {', '.join(instance.waiting_for)}"
    )


@distribution.command(name="file-investigation")
@click.argument("workflow_id", type=int)
@click.option(
    "--channel", required=True, help="How it was investigated (the policy's channels: bank, ...)."
)
@click.option("--findings", required=True)
@click.option("--rating", help="A rating the channel gave, if any.")
def file_investigation(workflow_id: int, channel: str, findings: str, rating: str | None) -> None:
    """Finance files the investigation report into the receivables record."""
    service, actor = _service()
    instance = service.file_investigation(
        actor, workflow_id, channel=channel, findings=findings, rating=rating
    )
    render.done(f"workflow {instance.id}: {instance.state_label}")


def _print_order(view: OrderView) -> None:
    render.fields(
        f"Order {view.id} of {view.client_code}: {view.status}",
        [
            ("amount", f"{view.amount:,.2f}"),
            (
                "score class / payment class / credit grade",
                f"{view.score_class} / {view.payment_class} / {view.credit_grade}",
            ),
            ("terms", view.terms),
            (
                "credit limit / exposure",
                f"{_money(view, 'credit_limit')} / {_money(view, 'exposure')}",
            ),
            ("held for", view.holds),
            ("approvals", [f"workflow {w}" for w in view.workflows]),
            (
                "placed / accepted / promised / delivered",
                f"{view.placed_on} / {view.accepted_on or '-'} / {view.promised_on or '-'} / {view.delivered_on or '-'}",
            ),
            ("invoice", view.invoice_id),
            ("refused because", view.closed_reason),
        ],
    )
    render.table(
        None,
        ["#", "product", "qty", "price", "control", "floor", "amount"],
        [
            (
                x.line_no,
                x.product,
                x.quantity,
                x.unit_price,
                x.control_price,
                f"{x.floor_price:.2f}",
                x.amount,
            )
            for x in view.lines
        ],
    )


def _invoice_table(views: Any) -> None:
    render.table(
        "Invoices",
        ["invoice", "order", "client", "amount", "paid", "due", "settled", "late"],
        [
            (
                v.id,
                v.order_id,
                v.client_code,
                f"{v.amount:,.2f}",
                _money(v, "paid"),
                v.due_on,
                v.settled_on,
                v.late_on,
            )
            for v in views
        ],
    )


def _money(view: Any, name: str) -> str:
    """An amount with thousands separators, or ``(masked)`` (views.SENSITIVE)."""
    value = render.shown(view, name)
    return f"{value:,.2f}" if isinstance(value, Decimal) else render.cell(value)


def _points(score: Decimal | None) -> str:
    return f"{score.normalize():f} points" if score is not None else "score masked"

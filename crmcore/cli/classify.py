"""``crm figures`` (yearly figures and scorecards) and ``crm classify`` (客户分级 runs)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, pairs, parse_date

if TYPE_CHECKING:
    from crmcore.services.classification import Distribution, RunView
    from crmcore.services.figures import FigureLoad

BAR_WIDTH = 40


# -- crm figures --------------------------------------------------------------------------------


@click.group()
def figures() -> None:
    """Yearly figures and scorecards of clients (年度业绩, 评分表; CORE-REC-3, CLS-SCORE-1)."""


@figures.command()
@json_option
def metrics(as_json: bool) -> None:
    """The figures and the eight scoring criteria a client can have, with their Chinese names."""
    from crmcore.domain.figures import CRITERIA, METRICS

    rows = [
        {"name": m.value, "kind": s.kind.value, "label": s.label, "label_zh": s.label_zh}
        for m, s in METRICS.items()
    ] + [
        {"name": c, "kind": "criterion 0-100", "label": "CLS-SCORE-1", "label_zh": z}
        for c, z in CRITERIA.items()
    ]
    if as_json:
        render.emit_json(rows)
        return
    render.table(
        "Figures and criteria",
        ["name", "kind", "label", "中文"],
        [(r["name"], r["kind"], r["label"], r["label_zh"]) for r in rows],
    )


@figures.command()
@click.argument("code")
@click.argument("values", nargs=-1, required=True, metavar="METRIC=VALUE...")
@click.option("--year", required=True, help="The year the figures are for, e.g. 2025.")
@click.option("--source", required=True, help="Where they come from (年报, 财务部, ...).")
def add(code: str, values: tuple[str, ...], year: str, source: str) -> None:
    """Record yearly figures: `crm figures add C000001 --year 2025 --source 年报 sales_amount=12000000`."""
    app = current()
    sheet = app.crm.figures.record(app.actor, code, year, pairs(values, "figures"), source=source)
    render.done(f"recorded {len(values)} figure(s) for {sheet.client_code} {year}")


@figures.command()
@click.argument("code")
@click.argument("values", nargs=-1, required=True, metavar="CRITERION=SCORE...")
@click.option("--year", required=True, help="The year scored, e.g. 2025.")
@click.option("--source", required=True, help="Who scored it, or the review it comes from.")
def score(code: str, values: tuple[str, ...], year: str, source: str) -> None:
    """Record the eight CLS-SCORE-1 scores (0-100) of a year: sales_scale=80 ... (all eight)."""
    app = current()
    sheet = app.crm.figures.record(
        app.actor, code, year, source=source, scores=pairs(values, "scores")
    )
    render.done(f"recorded the {year} scorecard of {sheet.client_code}")


@figures.command(name="show")
@click.argument("code")
@click.option("--year", type=int, help="Only this year.")
@click.option("--history", is_flag=True, help="Include superseded values.")
@json_option
def show_figures(code: str, year: int | None, history: bool, as_json: bool) -> None:
    """A client's figures and scorecards, newest year first."""
    app = current()
    sheet = app.crm.figures.sheet(app.actor, code, year=year, history=history)
    if as_json:
        render.emit_json(sheet)
        return
    columns = ["year", "figure", "中文", "value", "source", "recorded", "by"]
    if history:
        columns.append("superseded")
    render.table(
        f"Figures of {sheet.client_code}",
        columns,
        [
            (
                f.year,
                f.metric,
                f.label_zh,
                _amount(render.shown(f, "value")),
                f.source,
                f.recorded_at,
                f.recorded_by,
            )
            + ((f.superseded_at,) if history else ())
            for f in sheet.figures
        ],
    )
    for card in sheet.scorecards:
        render.fields(
            f"Scorecard {card.year}"
            + (f" (superseded {render.cell(card.superseded_at)})" if card.superseded_at else ""),
            [
                *(card.scores or {"scores": render.MASKED}).items(),
                ("source", card.source),
                ("recorded", card.recorded_at),
            ],
        )


@figures.command(name="import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Record the valid rows, report the rest.")
@click.option("--source", help="Source of rows without a source column (default: the file name).")
@json_option
def import_(path: str, skip_invalid: bool, source: str | None, as_json: bool) -> None:
    """Import figures and scorecards from a CSV or XLSX file, one row per client and year.

    Columns: client_code (客户编号), year (年度), source (来源), then figures by name or
    Chinese heading (sales_amount or 销售额, collection_rate or 回款率, ...) and, for a
    scorecard, all eight criteria (sales_scale or 销售规模, ...). CSV in UTF-8 (with or
    without BOM) or GB18030, XLSX (first sheet), or JSON Lines, as ``crm import`` reads them.
    All rows or none, unless --skip-invalid.
    """
    app = current()
    load = app.crm.figures.import_csv(app.actor, path, skip_invalid=skip_invalid, source=source)
    if as_json:
        render.emit_json(load)
        return
    _print_load(load)


def _print_load(load: FigureLoad) -> None:
    render.done(
        f"{load.rows} rows: {load.figures} figures and {load.scorecards} scorecards recorded, "
        f"{load.superseded} superseded, {load.unchanged} unchanged, {load.invalid} invalid"
    )
    if load.problems:
        render.table(
            "Rows not recorded",
            ["row", "field", "rule", "problem"],
            [(p.row, p.field, p.rule, p.message) for p in load.problems],
        )


@figures.command()
@click.argument("metric")
@click.option("--year", type=int, help="Default: the latest year with this figure.")
@click.option("--limit", type=int, default=20, show_default=True)
@json_option
def top(metric: str, year: int | None, limit: int, as_json: bool) -> None:
    """Clients by a figure, highest first (CORE-ARC-2: annual sales, credit standing, ...)."""
    app = current()
    leaders = app.crm.figures.leaders(app.actor, metric, year=year, limit=limit)
    if as_json:
        render.emit_json(leaders)
        return
    render.table(
        f"Clients by {metric}",
        ["#", "client", "name", "year", metric],
        [
            (i, x.client_code, x.client_name, x.year, _amount(render.shown(x, "value")))
            for i, x in enumerate(leaders, 1)
        ],
    )


# -- crm classify -------------------------------------------------------------------------------


@click.group()
def classify() -> None:
    """Classification (客户分级): run schemes, list classes, explain a client's class."""


@classify.command()
@json_option
def schemes(as_json: bool) -> None:
    """The schemes core and enabled plugins declare."""
    app = current()
    views = app.crm.classification.schemes(app.actor)
    if as_json:
        render.emit_json(views)
        return
    render.table(
        "Classification schemes",
        ["scheme", "title", "owner", "policy", "measures", "classes"],
        [
            (v.key, f"{v.title} {v.title_zh}".strip(), v.owner, v.policy, v.measure, v.classes)
            for v in views
        ],
    )


@classify.command(name="run")
@click.argument("scheme")
@click.option("--as-of", "as_of", help="In force from this date (YYYY-MM-DD); default today.")
@click.option("--year", type=int, help="Figures of this year; default the year before --as-of.")
@json_option
def run_scheme(scheme: str, as_of: str | None, year: int | None, as_json: bool) -> None:
    """Classify every client with the scheme's input for the year, and keep the run."""
    app = current()
    made = app.crm.classification.run(
        app.actor, scheme, as_of=parse_date(as_of, "as-of"), year=year
    )
    if as_json:
        render.emit_json(made)
        return
    render.done(
        f"run {made.id}: {made.scheme} as of {made.as_of} on {made.year} figures, "
        f"{made.population} clients"
    )
    _chart(app.crm.classification.distribution(app.actor, made.scheme, run_id=made.id))


@classify.command()
@click.argument("scheme", required=False)
@click.option("--limit", type=int, default=20, show_default=True)
@json_option
def runs(scheme: str | None, limit: int, as_json: bool) -> None:
    """Runs, newest first."""
    app = current()
    views = app.crm.classification.runs(app.actor, scheme, limit=limit)
    if as_json:
        render.emit_json(views)
        return
    render.table(
        "Classification runs",
        ["run", "scheme", "as of", "year", "policy since", "clients", "counts", "ran", "by"],
        [
            (
                v.id,
                v.scheme,
                v.as_of,
                v.year,
                v.policy_from or "default",
                v.population,
                v.counts,
                v.ran_at,
                v.ran_by,
            )
            for v in views
        ],
    )


@classify.command(name="show")
@click.argument("scheme")
@click.option("--class", "cls", help="Only this class.")
@click.option("--on", "on", help="The run in force on this date; default today.")
@click.option("--run", "run_id", type=int, help="This run instead of the one in force.")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--offset", type=int, default=0)
@json_option
def show_classes(
    scheme: str,
    cls: str | None,
    on: str | None,
    run_id: int | None,
    limit: int,
    offset: int,
    as_json: bool,
) -> None:
    """Clients by class in serving order: by score within a class (CLS-SCORE-2)."""
    app = current()
    listing = app.crm.classification.show(
        app.actor,
        scheme,
        cls=cls,
        on=parse_date(on, "on"),
        run_id=run_id,
        limit=limit,
        offset=offset,
    )
    if as_json:
        render.emit_json(listing)
        return
    run_ = listing.run
    render.table(
        f"{run_.scheme}: run {run_.id} as of {run_.as_of} on {run_.year} figures",
        ["#", "class", "client", "name", "value", "rank", "note"],
        [
            (
                r.position,
                r.cls,
                r.client_code,
                r.client_name,
                _amount(render.shown(r, "value")),
                r.rank,
                r.note,
            )
            for r in listing.rows
        ],
    )


@classify.command()
@click.argument("code")
@click.option("--scheme", help="Only this scheme.")
@click.option("--on", "on", help="The class in force on this date; default today.")
@json_option
def explain(code: str, scheme: str | None, on: str | None, as_json: bool) -> None:
    """Why a client has its class: run, policy version, input, rank and cut."""
    app = current()
    found = app.crm.classification.explain(app.actor, code, scheme=scheme, on=parse_date(on, "on"))
    if as_json:
        render.emit_json(found)
        return
    for e in found:
        click.echo(f"{e.scheme} ({e.title}): {e.cls or 'no class'}")
        for line in e.reasons if e.reasons is not None else (render.MASKED,):
            click.echo(f"  {line}")


@classify.command(name="history")
@click.argument("code")
@click.option("--scheme", help="Only this scheme.")
@json_option
def history_of(code: str, scheme: str | None, as_json: bool) -> None:
    """Every run that classified a client, newest first."""
    app = current()
    entries = app.crm.classification.history(app.actor, code, scheme=scheme)
    if as_json:
        render.emit_json(entries)
        return
    render.table(
        f"Classes of {code}",
        ["run", "scheme", "as of", "year", "class", "value", "rank", "note", "policy since"],
        [
            (
                e.run_id,
                e.scheme,
                e.as_of,
                e.year,
                e.cls,
                _amount(render.shown(e, "value")),
                e.rank,
                e.note,
                e.policy_from or "default",
            )
            for e in entries
        ],
    )


@classify.command()
@click.argument("scheme")
@click.option("--on", "on", help="The run in force on this date; default today.")
@click.option("--run", "run_id", type=int, help="This run instead of the one in force.")
@json_option
def report(scheme: str, on: str | None, run_id: int | None, as_json: bool) -> None:
    """Distribution: count and share per class, with a bar chart."""
    app = current()
    made = app.crm.classification.distribution(
        app.actor, scheme, on=parse_date(on, "on"), run_id=run_id
    )
    if as_json:
        render.emit_json(made)
        return
    _chart(made)


def _chart(made: Distribution) -> None:
    run_: RunView = made.run
    top_count = max((s.count for s in made.shares), default=0)
    render.table(
        f"{run_.scheme}: run {run_.id} as of {run_.as_of} on {run_.year} figures, "
        f"{run_.population} clients",
        ["class", "count", "share", ""],
        [(s.cls, s.count, f"{s.share}%", bar(s.count, top_count, BAR_WIDTH)) for s in made.shares],
    )


def bar(count: int, top: int, width: int) -> str:
    """A horizontal bar in eighths of a character, scaled so ``top`` fills ``width``."""
    if not top or not count:
        return ""
    eighths = max(1, round(count * width * 8 / top))
    full, part = divmod(eighths, 8)
    return "█" * full + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[part]


def _amount(value: Any) -> Any:
    from crmcore.domain.figures import shown

    return shown(value) if isinstance(value, Decimal) else value

"""``crm calendar``: the working-day calendar (工作日历): load a year's official schedule, show a year."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def calendar() -> None:
    """Working days: statutory holidays and make-up working days (法定节假日, 调休)."""


@calendar.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", help="Where the schedule comes from, e.g. 国办发明电〔2026〕…号.")
def load(file: Path, source: str | None) -> None:
    """Load the official holiday schedule of one or more years from FILE.

    \b
    CSV with a header:        date,kind,name
                              2027-01-01,holiday,元旦
                              2027-02-06,workday,春节
    or JSON: [{"date": ..., "kind": ..., "name": ...}, ...] or {"source": ..., "days": [...]}.
    kind is holiday (放假) or workday (调休上班, a Saturday or Sunday). Every year in the file
    replaces what was loaded for it before (kept as an older version).
    """
    import attrs

    from crmcore.calendar import parse_schedule
    from crmcore.errors import InvalidInput

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("file", f"cannot read {file}: {exc}") from None
    schedule = parse_schedule(text, file.name)
    if source:
        schedule = attrs.evolve(schedule, source=source)
    app = current()
    for year in app.crm.calendar.load(app.actor, schedule):
        holidays = sum(1 for d in year.days if d.kind == "holiday")
        workdays = len(year.days) - holidays
        render.done(
            f"loaded {year.year} (version {year.loaded_version}): {holidays} holidays, "
            f"{workdays} make-up working days, {year.working_days} working days in the year"
        )


@calendar.command()
@click.argument("year", type=int)
@json_option
def show(year: int, as_json: bool) -> None:
    """A year's holidays and make-up working days, and where they come from."""
    app = current()
    shown = app.crm.calendar.show(app.actor, year)
    if as_json:
        render.emit_json(shown)
        return
    render.fields(
        f"Calendar {year}",
        [
            ("source", shown.source),
            (
                "loaded by",
                f"{shown.loaded_by} at {render.cell(shown.loaded_at)}" if shown.loaded_by else None,
            ),
            ("working days", shown.working_days),
        ],
    )
    render.table(
        None,
        ["date", "weekday", "kind", "name"],
        [
            (d.day, f"{d.day:%a}", "holiday 休" if d.kind == "holiday" else "workday 班", d.name)
            for d in shown.days
        ],
    )

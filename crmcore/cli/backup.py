"""``crm backup`` and ``crm restore`` (SQLite; PostgreSQL uses pg_dump, see docs/backup.md)."""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.cli import render
from crmcore.cli.context import current


def _progress(label: str):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, Progress, TextColumn

    return Progress(
        TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total} pages")
    )


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def backup(file: Path) -> None:
    """Copy the database to FILE while it is in use, then check the copy (integrity, audit)."""
    from crmcore.services import backup as service

    app = current()
    with _progress("backing up") as bar:
        task = bar.add_task("backup", total=None)
        result = service.backup(
            app.crm,
            app.actor,
            file,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    render.done(
        f"backed up to {result.path}: {result.bytes:,} bytes, integrity {result.integrity}, "
        f"audit trail verified ({result.events} events)"
    )


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE, after checking it (nothing changes if not)."""
    from crmcore.services import backup as service
    from crmcore.settings import database_url

    app = current()
    url = database_url(app.db_url)
    if not yes:
        click.confirm(f"replace {url} with {file}?", abort=True)
    with _progress("restoring") as bar:
        task = bar.add_task("restore", total=None)
        result = service.restore(
            url,
            file,
            app.login,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    render.done(
        f"restored {result.path} from {file}: audit trail verified, {result.events} events "
        "(run `crm db upgrade` if the backup is from an older version)"
    )

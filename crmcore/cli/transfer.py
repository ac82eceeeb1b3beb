"""``crm import`` and ``crm export``: ledgers in and out (CSV, JSON Lines, XLSX)."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option

KINDS = {
    "clients": "client records (客户档案)",
    "contacts": "contact people of clients",
    "logs": "contact logs (接触记录)",
}
FORMAT = click.Choice(["csv", "jsonl", "xlsx"])


@click.group(name="import")
def import_() -> None:
    """Bulk import from CSV (UTF-8 or GBK/GB18030), JSON Lines or XLSX (批量导入).

    All or nothing unless --skip-invalid; importing a file again updates changed records and
    leaves the rest alone. Problems go to FILE.errors.csv (row, field, check, message).
    """


@click.group(name="export")
def export() -> None:
    """Export what you may read to CSV, JSON Lines or XLSX (导出), masked as on screen."""


def _import_command(kind: str, what: str) -> click.Command:
    @click.command(name=kind, help=f"Import {what} from FILE.")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--format", "fmt", type=FORMAT, help="Default: from the file name.")
    @click.option("--encoding", help="Text encoding of a CSV file; default: detected.")
    @click.option("--dry-run", is_flag=True, help="Check everything, write nothing.")
    @click.option("--skip-invalid", is_flag=True, help="Load the valid rows, report the rest.")
    @click.option(
        "--errors",
        "error_file",
        type=click.Path(dir_okay=False),
        help="Where to list bad rows [default: FILE.errors.csv].",
    )
    @click.option("--no-progress", is_flag=True, help="No progress bar.")
    @json_option
    def command(
        file: str,
        fmt: str | None,
        encoding: str | None,
        dry_run: bool,
        skip_invalid: bool,
        error_file: str | None,
        no_progress: bool,
        as_json: bool,
    ) -> None:
        from crmcore.services.imports import ImportRefused

        app = current()
        error_file = error_file or f"{file}.errors.csv"
        with _progress(f"importing {kind}", not (no_progress or as_json)) as tick:
            try:
                report = app.crm.imports.run(
                    app.actor,
                    kind,
                    file,
                    format=fmt,
                    encoding=encoding,
                    dry_run=dry_run,
                    skip_invalid=skip_invalid,
                    error_file=error_file,
                    progress=tick,
                )
            except ImportRefused as refused:
                if as_json:
                    render.emit_json(_report_json(refused.report, error_file))
                raise
        if as_json:
            render.emit_json(_report_json(report, error_file))
        else:
            verb = "would import" if dry_run else "imported"
            s = report.summary
            render.done(
                f"{verb} {kind} from {file}: {s['rows']} rows, {s['created']} new, "
                f"{s['updated']} updated, {s['unchanged']} unchanged, {s['invalid']} invalid"
            )
            if report.invalid:
                for e in report.errors[:10]:
                    click.echo(f"  row {e.row}: {e.field}: {e.message} ({e.check})", err=True)
                click.echo(f"every problem is listed in {error_file}", err=True)
        if report.invalid and dry_run:
            raise SystemExit(3)

    return command


def _report_json(report: object, error_file: str) -> dict[str, object]:
    from attrs import asdict

    data = asdict(report)  # type: ignore[arg-type]
    data["error_file"] = error_file if data["invalid"] else None
    return data


def _export_command(kind: str, what: str) -> click.Command:
    @click.command(name=kind, help=f"Export {what} to FILE.")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--format", "fmt", type=FORMAT, help="Default: from the file name.")
    @click.option("--archived", "include_archived", is_flag=True, help="Include archived clients.")
    @click.option("--no-progress", is_flag=True, help="No progress bar.")
    @json_option
    def command(
        file: str, fmt: str | None, include_archived: bool, no_progress: bool, as_json: bool
    ) -> None:
        app = current()
        with _progress(f"exporting {kind}", not (no_progress or as_json)) as tick:
            report = app.crm.exports.run(
                app.actor,
                kind,
                file,
                format=fmt,
                include_archived=include_archived,
                progress=lambda rows: tick(rows, 0, 0),
            )
        if as_json:
            render.emit_json(report)
        else:
            render.done(f"exported {report.rows} {kind} to {file} (sha256 {report.sha256[:12]}…)")

    return command


class _progress:
    """A rich progress bar with rows/s; silent when not wanted or not on a terminal."""

    def __init__(self, label: str, show: bool) -> None:
        import sys

        self.label = label
        self.show = show and sys.stderr.isatty()
        self.bar = None
        self.task = None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if not self.show:
            return lambda rows, done, total: None
        import time

        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.started = time.perf_counter()
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rows]:,} rows  {task.fields[rate]:,.0f} rows/s"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.bar.start()
        self.task = self.bar.add_task(self.label, total=None, rows=0, rate=0.0)

        def tick(rows: int, done: int, total: int) -> None:
            elapsed = max(time.perf_counter() - self.started, 1e-9)
            self.bar.update(  # type: ignore[union-attr]
                self.task,
                completed=done or rows,
                total=total or None,
                rows=rows,
                rate=rows / elapsed,
            )

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


for _kind, _what in KINDS.items():
    import_.add_command(_import_command(_kind, _what))
    export.add_command(_export_command(_kind, _what))

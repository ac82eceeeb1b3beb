"""``crm archive``: documents filed on clients (分类归档, CORE-ARC-1/2).

Not to be confused with ``crm client archive``, which archives a client record (归档 status).
"""

from __future__ import annotations

from pathlib import Path

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def archive() -> None:
    """Client archive documents by category, versions, custodians, index."""


@archive.command()
@json_option
def categories(as_json: bool) -> None:
    """The four core categories and those plugins add."""
    app = current()
    found = app.crm.archives.categories(app.actor)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        "Archive categories",
        ["code", "label", "中文", "from"],
        [(c.code, c.label, c.label_zh, c.owner) for c in found],
    )


def _read(path: Path) -> bytes:
    from crmcore.errors import InvalidInput

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput("file", f"cannot read {path}: {exc.strerror}") from None


@archive.command()
@click.argument("client_code")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--category", required=True, help="basic, contracts, receivables, complaints, ...")
@click.option("--title", required=True)
@click.option("--date", "dated", help="The document's own date, YYYY-MM-DD; default today.")
@click.option("--level", "clearance", help="public, internal, confidential or secret.")
@click.option("--note")
def add(
    client_code: str,
    file: Path,
    category: str,
    title: str,
    dated: str | None,
    clearance: str | None,
    note: str | None,
) -> None:
    """File a document on a client."""
    from crmcore.convert import structure
    from crmcore.domain.archives import NewDocument

    app = current()
    data = {
        "category": category,
        "title": title,
        "filename": file.name,
        "content": _read(file),
        "dated": dated,
        "clearance": clearance,
        "note": note,
    }
    new = structure({k: v for k, v in data.items() if v is not None}, NewDocument)
    doc = app.crm.archives.file(app.actor, client_code, new)
    render.done(f"filed document {doc.id} ({doc.size:,} bytes, sha256 {doc.sha256[:12]}...)")


@archive.command()
@click.argument("document_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--note")
def version(document_id: int, file: Path, note: str | None) -> None:
    """Add a new version of a document (earlier versions are kept)."""
    app = current()
    doc = app.crm.archives.add_version(app.actor, document_id, file.name, _read(file), note=note)
    render.done(f"document {document_id} is at version {doc.version}")


@archive.command(name="list")
@click.argument("client_code")
@click.option("--category")
@click.option("--all", "include_withdrawn", is_flag=True, help="Include withdrawn documents.")
@json_option
def list_(client_code: str, category: str | None, include_withdrawn: bool, as_json: bool) -> None:
    """A client's documents, by category then date."""
    app = current()
    docs = app.crm.archives.list(
        app.actor, client_code, category=category, include_withdrawn=include_withdrawn
    )
    if as_json:
        render.emit_json(docs)
        return
    render.table(
        f"Archive of {client_code}",
        ["id", "category", "date", "title", "file", "version", "size", "level", "withdrawn"],
        [
            (
                d.id,
                d.category,
                d.dated,
                render.shown(d, "title"),
                render.shown(d, "filename"),
                d.version,
                d.size,
                d.clearance,
                d.withdrawn_reason,
            )
            for d in docs
        ],
    )


@archive.command()
@click.argument("document_id", type=int)
@json_option
def show(document_id: int, as_json: bool) -> None:
    """A document and its versions."""
    app = current()
    d = app.crm.archives.get(app.actor, document_id)
    if as_json:
        render.emit_json(d)
        return
    render.fields(
        f"Document {d.id}: {render.shown(d, 'title')}",
        [
            ("client", d.client_code),
            ("category", d.category),
            ("date", d.dated),
            ("level", d.clearance),
            ("filed by", d.created_by),
            ("withdrawn", d.withdrawn_reason),
        ],
    )
    render.table(
        "Versions",
        ["version", "file", "type", "size", "sha256", "by", "at", "note"],
        [
            (
                v.version,
                v.filename,
                v.media_type,
                v.size,
                v.sha256[:16],
                v.uploaded_by,
                v.uploaded_at,
                v.note,
            )
            for v in d.versions
        ],
    )


@archive.command()
@click.argument("document_id", type=int)
@click.option("--output", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--version", "version_", type=int, help="Default: the latest.")
def get(document_id: int, output: Path, version_: int | None) -> None:
    """Save a document's content to a file (recorded as an export)."""
    from crmcore.errors import Conflict

    app = current()
    if output.exists():
        raise Conflict(f"output: {output} already exists")
    _, content = app.crm.archives.content(app.actor, document_id, version=version_)
    output.write_bytes(content)
    render.done(f"wrote {len(content):,} bytes to {output}")


@archive.command()
@click.argument("document_id", type=int)
@click.option("--reason", required=True)
def withdraw(document_id: int, reason: str) -> None:
    """Withdraw a document (kept, with the reason)."""
    app = current()
    app.crm.archives.withdraw(app.actor, document_id, reason)
    render.done(f"document {document_id} withdrawn")


@archive.command()
@click.argument("client_code")
@click.option("--user", "login", required=True, help="Login of the custodian.")
def custodian(client_code: str, login: str) -> None:
    """Name the custodian of a client's archive (专人管理, CORE-ARC-2)."""
    app = current()
    app.crm.archives.set_custodian(app.actor, client_code, login)
    render.done(f"{login} keeps the archive of {client_code}")


@archive.command()
@click.option("--owner", help="Salesperson (login).")
@click.option("--custodian")
@click.option("--region", help="Region or its prefix.")
@click.option("--unit", help="Company or unit code; includes units below.")
@click.option(
    "--sort",
    default="code",
    show_default=True,
    help="code, name, region, documents, last_filed, or a plugin's key (annual_sales, ...).",
)
@click.option("--asc/--desc", "ascending", default=None, help="Default: the key's natural order.")
@click.option("--archived", "include_archived", is_flag=True, help="Include archived clients.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@json_option
def index(ascending: bool | None, as_json: bool, **options: object) -> None:
    """Clients' archives by salesperson, custodian, region or company (CORE-ARC-2)."""
    app = current()
    rows = app.crm.archives.index(
        app.actor,
        descending=None if ascending is None else not ascending,
        **options,  # type: ignore[arg-type]
    )
    if as_json:
        render.emit_json(rows)
        return
    render.table(
        f"Archive index by {options['sort']}",
        [
            "client",
            "name",
            "region",
            "unit",
            "owner",
            "custodian",
            "documents",
            "latest",
            options["sort"],
        ],
        [
            (
                r.client_code,
                r.client_name,
                r.region,
                r.unit,
                r.owner,
                r.custodian,
                r.documents,
                r.last_filed,
                r.sort_value,
            )
            for r in rows
        ],
    )

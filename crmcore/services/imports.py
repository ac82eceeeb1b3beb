"""Bulk import of clients, contacts and contact logs from CSV, JSON Lines or XLSX (批量导入).

One job is one transaction: all or nothing by default; ``skip_invalid`` loads exactly the valid
rows and reports the rest; ``dry_run`` checks everything (the database included) and writes
nothing. Every bad row is reported as (row, field, check, message), where *check* is the
RULES.md rule when there is one. Rows are validated by the same attrs classes and converter as
single adds (``NewClient``, ``NewContact``, ``NewLog`` through ``crmcore.convert.structure``),
so a value refused by ``crm client add`` is refused here too.

Re-import: a client row with the code (else the credit code) of an existing client updates it,
versioned like ``ClientService.edit`` (a history row naming old and new values); a row that
changes nothing writes nothing, so importing the same file twice changes nothing. Contacts are
matched by (client, name), logs by (client, time, channel, summary); logs are never changed.

Speed: rows go in batches of :data:`BATCH`; per batch, one query fetches the existing records,
one executemany writes the new ones (Core, not the ORM), and plugins are called once
(``crm_import_veto``, ``crm_imported``). The audit trail gets one event per job, with the
file's SHA-256 and the counts. Large client files are read, structured and spelled in pinyin
one batch ahead by a child process (:mod:`crmcore.services.import_ahead`) while this process
writes; the outcome is the same as in one process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from attrs import define, field, frozen
from sqlalchemy import case, select, tuple_, update

from crmcore.app import Service, Tx, use_case
from crmcore.domain.clients import Client, ClientStatus, NewClient, credit_code_taken
from crmcore.domain.contacts import NewContact
from crmcore.domain.logs import NewLog
from crmcore.domain.personal import is_masked_id_number, mask_id_number
from crmcore.domain.security import MASKED
from crmcore.errors import CrmError, InvalidInput
from crmcore.io import format_of
from crmcore.io.readers import Row, Source, cell_text, open_source
from crmcore.security import access, personal
from crmcore.security.personal import blind_index
from crmcore.services import import_ahead as ahead
from crmcore.services.org import Assigner
from crmcore.store import bulk, search_index
from crmcore.store import tables as t

BATCH = 5_000
CHINA = ZoneInfo("Asia/Shanghai")
KINDS = ("clients", "contacts", "logs")
#: Values that mean "not given" (for the write check).
_EMPTY: tuple[Any, ...] = (None, "", {}, ())
#: Errors kept in the report itself (all of them go to the error file).
REPORTED_ERRORS = 50

# Column names: the field name, or the Chinese heading a ledger uses (表头).
CLIENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("客户编号", "编号"),
    "name": ("名称", "客户名称", "单位名称", "企业名称"),
    "credit_code": ("统一社会信用代码", "信用代码"),
    "legal_rep": ("法定代表人",),
    "address": ("地址", "注册地址"),
    "postcode": ("邮编", "邮政编码"),
    "phone": ("电话", "联系电话"),
    "fax": ("传真",),
    "business_scope": ("经营范围",),
    "registered_capital": ("注册资本",),
    "region": ("区域", "地区"),
    "industry": ("行业",),
    "size": ("规模", "企业规模"),
    "status": ("状态",),
    "importance": ("重要程度",),
    "owner": ("客户经理", "负责人"),
}
CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "client_code": ("客户编号",),
    "name": ("姓名", "联系人"),
    "position": ("职务", "职位"),
    "phone": ("电话", "手机"),
    "email": ("邮箱", "电子邮件"),
    "notes": ("备注",),
    "id_number": ("身份证号", "身份证号码"),
}
LOG_COLUMNS: dict[str, tuple[str, ...]] = {
    "client_code": ("客户编号",),
    "channel": ("方式", "接触方式"),
    "occurred_at": ("时间", "接触时间"),
    "summary": ("内容", "摘要"),
    "participants": ("参与人",),
    "next_action": ("下一步", "下一步行动"),
    "next_action_due": ("到期日", "下一步期限"),
    "author": ("记录人",),
    "inquiry": ("来函来电",),  # CORE-LOG-3: the client asked; answered within the policy's hours
}
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "clients": (("name",), ("code", "credit_code")),
    "contacts": (("client_code",), ("name",)),
    "logs": (("client_code",), ("channel",), ("summary",)),
}
COLUMNS = {"clients": CLIENT_COLUMNS, "contacts": CONTACT_COLUMNS, "logs": LOG_COLUMNS}
#: Kinds whose rows may carry ``profile.<key>`` columns.
PROFILED = {"clients", "contacts"}
IMPORTED_CLIENT_FIELDS = [f for f in CLIENT_COLUMNS if f not in {"code", "owner"}]


@frozen
class RowError:
    row: int
    field: str
    check: str  # the rule ID, or a short name of the check
    message: str


@define
class ImportReport:
    kind: str
    file: str
    format: str
    encoding: str | None
    sha256: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    loaded: bool = False  # True when the valid rows were written (not a dry run, not refused)
    errors: list[RowError] = field(factory=list)  # the first REPORTED_ERRORS

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
        }


class ImportRefused(InvalidInput):
    """Some rows are invalid and ``skip_invalid`` was not given: nothing was written."""

    def __init__(self, report: ImportReport, error_file: Path | None) -> None:
        where = f"; every problem is listed in {error_file}" if error_file else ""
        first = report.errors[0] if report.errors else None
        detail = f" (first: row {first.row}, {first.field}: {first.message})" if first else ""
        super().__init__(
            "file",
            f"{report.invalid} of {report.rows} rows are invalid{detail}; nothing was imported "
            f"(--skip-invalid loads the valid rows){where}",
            rule=first.check if first and first.check.startswith(("CORE-", "CLS-")) else None,
        )
        self.report = report


class _Rollback(Exception):
    """Raised after a dry run or a refused load so the transaction undoes every row."""


Progress = Callable[[int, int, int], None]  # rows done, bytes done, bytes in total


class ImportService(Service):
    """``crm.imports.run(actor, "clients", path, ...)``."""

    def run(
        self,
        subject: Any,
        kind: str,
        path: str | Path,
        *,
        format: str | None = None,
        encoding: str | None = None,
        dry_run: bool = False,
        skip_invalid: bool = False,
        error_file: str | Path | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Import ``path`` as ``kind`` (clients, contacts or logs) and report what happened.

        Raises :class:`ImportRefused` (nothing written) when rows are invalid without
        ``skip_invalid``, and InvalidInput for a file that cannot be read at all (wrong
        encoding, binary or truncated, unknown or missing columns).
        """
        if kind not in KINDS:
            raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        path = Path(path)
        fmt = format_of(str(path), format)
        errors_path = Path(error_file) if error_file else None
        job = _Job(kind, fmt, path, encoding, dry_run, skip_invalid, errors_path, progress)
        try:
            if isinstance(subject, Tx):  # joining the caller's transaction: undo to a savepoint
                savepoint = subject.conn.begin_nested()
                try:
                    self._run(subject, job)
                except BaseException:
                    savepoint.rollback()
                    raise
                savepoint.commit()
            else:
                self._run(subject, job)
        except _Rollback:
            pass
        finally:
            job.close()
        if job.report.invalid and not skip_invalid and not dry_run:
            raise ImportRefused(job.report, errors_path)
        return job.report

    @use_case
    def _run(self, tx: Tx, job: _Job) -> None:
        tx.actor.require(
            {"clients": "client.write", "contacts": "contact.write"}.get(job.kind, "log.write")
        )
        job.open()
        loader = {"clients": _ClientLoader, "contacts": _ContactLoader, "logs": _LogLoader}[
            job.kind
        ](tx, job)
        for batch in job.batches():
            loader.load(batch)
        loader.finish()
        report = job.report
        if report.dry_run or (report.invalid and not job.skip_invalid):
            raise _Rollback
        tx.audit(
            f"import.{job.kind}",
            "import",
            report.sha256,
            detail={"file": job.path.name, "format": report.format, **report.summary},
        )
        report.loaded = True


# -- the job: file, header, errors, progress ------------------------------------------------


class _Job:
    def __init__(
        self,
        kind: str,
        fmt: str,
        path: Path,
        encoding: str | None,
        dry_run: bool,
        skip_invalid: bool,
        error_file: Path | None,
        progress: Progress | None,
    ) -> None:
        self.kind, self.path, self.skip_invalid = kind, path, skip_invalid
        self.progress, self.error_file = progress, error_file
        self.encoding = encoding
        self.report = ImportReport(kind, str(path), fmt, encoding, "", dry_run)
        self.columns: dict[str, str] = {}  # heading in the file -> field
        self.source: Source | None = None
        self._error_writer: Any = None
        self._pending: list[RowError] = []
        self.ahead: ahead.Ahead | None = None  # the child that reads and checks rows ahead

    def open(self) -> None:
        self.report.sha256 = _sha256(self.path)
        self.source = open_source(self.path, self.report.format, self.encoding)
        self.report.encoding = self.source.encoding
        if self.source.header:
            self.columns = self._map_header(self.source.header)
        if ahead.wanted(self.kind, self.source.size):
            self.source.rows.close()  # the child reads the rows
            self.ahead = ahead.Ahead(self)

    def _map_header(self, header: Sequence[str]) -> dict[str, str]:
        known = _aliases(self.kind)
        mapping: dict[str, str] = {}
        for heading in header:
            name = known.get(heading.strip().lower()) or known.get(heading.strip())
            if self.kind in PROFILED and (heading == "profile" or heading.startswith("profile.")):
                name = heading
            if name is None:
                raise InvalidInput(
                    "header",
                    f"unknown column {heading!r} (known: {', '.join(COLUMNS[self.kind])}, "
                    + ("profile.<key>)" if self.kind in PROFILED else "")
                    + ")",
                )
            if name in mapping.values():
                raise InvalidInput("header", f"column {heading!r} appears twice")
            mapping[heading] = name
        missing = [
            " or ".join(group)
            for group in REQUIRED[self.kind]
            if not set(group) & set(mapping.values())
        ]
        if missing:
            raise InvalidInput("header", f"missing column {', '.join(missing)}")
        return mapping

    def batches(self) -> Iterator[Any]:
        """Lists of (row number, cells); from the child, :class:`ahead.Prepared` batches."""
        if self.ahead is not None:
            yield from self._prepared_batches(self.ahead)
            return
        assert self.source is not None
        batch: list[tuple[int, dict[str, Any]]] = []
        for row in self.source.rows:
            self.report.rows += 1
            data = self._fields(row)
            if data is not None:
                batch.append((row.number, data))
            if len(batch) >= BATCH:
                yield batch
                batch = []
                self._flush_errors()
                self._tick()
        if batch:
            yield batch
        self._flush_errors()
        self._tick()

    def _prepared_batches(self, child: ahead.Ahead) -> Iterator[ahead.Prepared]:
        """The child's batches, with its row errors, counts and progress as if read here."""
        for message in child.messages():
            what, self.report.rows, position, errors = message[:4]
            self.report.invalid += len(errors)
            self._pending.extend(errors)
            if what == "failed":
                raise ahead.raised(message[4])
            if what == "batch":
                yield message[5]
                if not message[4]:  # the last, partial batch: flushed and ticked at the end
                    continue
            self._flush_errors()
            self._tick(position)

    def _tick(self, position: int | None = None) -> None:
        if self.progress and self.source:
            if position is None:
                position = self.source.position()
            self.progress(self.report.rows, position, self.source.size)

    def _fields(self, row: Row) -> dict[str, Any] | None:
        if row.cells is None or row.problem:
            self.error(row.number, "row", "file", row.problem or "cannot be read")
            return None
        if self.source and self.source.format == "jsonl":
            try:
                return self._json_fields(row.cells)
            except InvalidInput as exc:
                self.error(row.number, exc.field, exc.rule or "header", exc.message)
                return None
        try:
            return self._cell_fields(row.cells)
        except InvalidInput as exc:
            self.error(row.number, exc.field, exc.rule, exc.message)
            return None

    def _cell_fields(self, cells: Mapping[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        profile: dict[str, Any] = {}
        profiled = False  # a file without profile columns leaves profiles alone
        for heading, value in cells.items():
            name = self.columns[heading]
            if _withheld(name, value):
                continue
            if name == "profile":
                profile.update(_profile_json(value))
                profiled = True
            elif name.startswith("profile."):
                profiled = True
                if value is not None:
                    profile[name.removeprefix("profile.")] = value
            else:
                data[name] = value
        if self.kind in PROFILED and profiled:
            data["profile"] = profile
        return data

    def _json_fields(self, cells: Mapping[str, Any]) -> dict[str, Any]:
        known = _aliases(self.kind)
        data: dict[str, Any] = {}
        profile: dict[str, Any] = {}
        profiled = False
        for key, value in cells.items():
            if key == "profile" and self.kind in PROFILED and isinstance(value, dict):
                profile.update(value)
                profiled = True
                continue
            name = known.get(key.strip().lower()) or known.get(key.strip())
            if name is None and self.kind in PROFILED and key.startswith("profile."):
                profiled = True
                if not _withheld(key, value):
                    profile[key.removeprefix("profile.")] = value
                continue
            if name is None:
                raise InvalidInput(key, "is not a known field")
            if not _withheld(name, value):
                data[name] = value
        missing = [" or ".join(g) for g in REQUIRED[self.kind] if not any(data.get(f) for f in g)]
        if missing:
            raise InvalidInput(missing[0].split(" or ")[0], "is required")
        if self.kind in PROFILED and profiled:
            data["profile"] = profile
        return data

    def error(self, row: int, field_name: str, check: str | None, message: str) -> None:
        self.report.invalid += 1
        self._pending.append(RowError(row, field_name, check or "invalid", message))

    def _flush_errors(self) -> None:
        """Errors of a batch, in row order (checks find them in another order)."""
        report = self.report
        for problem in sorted(self._pending, key=lambda e: e.row):
            if len(report.errors) < REPORTED_ERRORS:
                report.errors.append(problem)
            if self.error_file is not None:
                if self._error_writer is None:
                    from crmcore.io.writers import Writer

                    self._error_writer = Writer(
                        self.error_file, "csv", ["row", "field", "check", "message"]
                    )
                self._error_writer.write(
                    [problem.row, problem.field, problem.check, problem.message]
                )
        self._pending.clear()

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
        self._flush_errors()
        if self._error_writer is not None:
            self._error_writer.close()
        elif self.error_file is not None and self.error_file.exists():
            self.error_file.unlink()  # a stale list from an earlier run would mislead


def _withheld(name: str, value: Any) -> bool:
    """A cell an export wrote for a field withheld from its reader: skipped, never a value.

    ``(masked)`` for any field, and the masked form of an ID number (``110***********1234``).
    """
    if not isinstance(value, str) or ("(" not in value and "*" not in value):
        return False  # the common case, decided without copying the text
    return value.strip() == MASKED or (name == "id_number" and is_masked_id_number(value))


def _profile_json(value: str | None) -> dict[str, Any]:
    """A ``profile`` cell: a JSON object, as exports write it."""
    import json

    if value is None:
        return {}
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        raise InvalidInput("profile", 'is not a JSON object such as {"age": "45岁"}') from None
    if not isinstance(data, dict):
        raise InvalidInput("profile", 'is not a JSON object such as {"age": "45岁"}')
    return data


def _aliases(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, headings in COLUMNS[kind].items():
        table[name] = name
        for heading in headings:
            table[heading] = name
    return table


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _hook_implemented(tx: Tx, name: str) -> bool:
    return bool(getattr(tx.crm.host.pm.hook, name).get_hookimpls())


def _vetoes(tx: Tx, kind: str, records: Sequence[Any]) -> dict[int, str]:
    """Positions in ``records`` that a plugin refused, with the plugin and its reason."""
    refused: dict[int, str] = {}
    if not records or not _hook_implemented(tx, "crm_import_veto"):
        return refused
    for plugin, answer in tx.hook("crm_import_veto", kind=kind, records=records):
        for position, reason in dict(answer).items():
            refused.setdefault(int(position), f"refused by plugin {plugin}: {reason}")
    return refused


def _china_time(value: Any) -> Any:
    """Naive times in a file are China time (as people write them); aware ones stay."""
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return value
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)
    return value


# -- clients ---------------------------------------------------------------------------------


class _ClientLoader:
    def __init__(self, tx: Tx, job: _Job) -> None:
        from crmcore.convert import structure, unstructure
        from crmcore.services.clients import CLIENT_FIELDS, registration_level

        self.tx, self.job = tx, job
        self.structure, self.unstructure = structure, unstructure
        self.fields = CLIENT_FIELDS
        self.users = {r.login: r.id for r in tx.conn.execute(select(t.users.c.login, t.users.c.id))}
        self.logins = {v: k for k, v in self.users.items()}
        self.seen_codes: dict[str, int] = {}
        self.seen_credit: dict[str, int] = {}
        self.veto = _hook_implemented(tx, "crm_import_veto")
        self.after = _hook_implemented(tx, "crm_imported")
        self.to_index: list[search_index.Entry] = []
        # New clients are assigned and levelled as single adds are (CORE-OWN-3, CORE-CONF-1).
        self.assigner = Assigner(tx)
        self.level = registration_level(tx)

    def load(self, batch: list[tuple[int, dict[str, Any]]] | ahead.Prepared) -> None:
        tx, job, c = self.tx, self.job, t.clients.c
        rows = []
        for number, code, credit, owner, cells, ready in self._items(batch):
            if code and code in self.seen_codes:
                job.error(
                    number,
                    "code",
                    "duplicate",
                    f"code {code} is also in row {self.seen_codes[code]}",
                )
                continue
            if credit and credit in self.seen_credit:
                job.error(
                    number,
                    "credit_code",
                    "CORE-REC-1",
                    f"credit code {credit} is also in row {self.seen_credit[credit]}",
                )
                continue
            if code:
                self.seen_codes[code] = number
            if credit:
                self.seen_credit[credit] = number
            rows.append((number, code, credit, owner, cells, ready))
        codes = [r[1] for r in rows if r[1]]
        credits = [r[2] for r in rows if r[2]]
        by_code = (
            {r.code: r for r in tx.conn.execute(select(t.clients).where(c.code.in_(codes)))}
            if codes
            else {}
        )
        holders = (
            {
                r.credit_code: r
                for r in tx.conn.execute(select(t.clients).where(c.credit_code.in_(credits)))
            }
            if credits
            else {}
        )
        matched = [r.id for r in (*by_code.values(), *holders.values())]
        readable = (
            set(tx.conn.scalars(select(c.id).where(c.id.in_(matched), access.readable_clients(tx))))
            if matched
            else set()
        )
        new: list[tuple[int, dict[str, Any]]] = []
        changed: list[tuple[int, Any, dict[str, Any], list[str]]] = []
        for number, code, credit, owner, cells, ready in rows:
            existing = by_code.get(code) if code else holders.get(credit)
            if existing is not None and existing.id not in readable:
                # the row's own code may be echoed; a client found by credit code may not be named
                which = f"client {code}" if code else f"the client with credit code {credit}"
                job.error(
                    number,
                    "code" if code else "credit_code",
                    "CORE-CONF-2",
                    f"{tx.actor.login} may not read {which}, so may not change it",
                )
                continue
            try:
                outcome = self._check(cells, ready, code, owner, existing, holders, readable)
            except CrmError as exc:
                job.error(number, getattr(exc, "field", "row"), exc.rule, exc.message)
                continue
            if outcome is None:
                job.report.unchanged += 1
            elif existing is None:
                new.append((number, outcome))
            else:
                changed.append(
                    (
                        number,
                        existing,
                        outcome,
                        sorted(
                            n
                            for n in outcome
                            if n in self.fields and outcome[n] != getattr(existing, n)
                        ),
                    )
                )
        if self.veto:
            new, changed = self._apply_vetoes(new, changed)
        # CORE-CONF-2: writing a field one may not read would let one probe or overwrite it
        access.check_write(
            tx,
            "client",
            # per field, the first row that gives it decides (usually the first row)
            {n for n in self.fields if any(values[n] not in _EMPTY for _, values in new)}
            | {n for *_, names in changed for n in names},
        )
        created = self._insert(new)
        updated = self._update(changed)
        job.report.created += len(created)
        job.report.updated += len(updated)
        if self.after and (created or updated):
            views = self.tx.crm.clients._views
            tx.hook(
                "crm_imported",
                kind="clients",
                created=views(tx, self._rows(created), None),
                updated=views(tx, self._rows(updated), None),
            )

    def _items(
        self, batch: list[tuple[int, dict[str, Any]]] | ahead.Prepared
    ) -> Iterator[tuple[Any, ...]]:
        """Per row: number, code, credit code, owner, its cells (a callable: the child sends
        them packed) and its new-client values (a callable: the child computed them)."""
        if isinstance(batch, ahead.Prepared):
            for index, (number, code, credit, owner, plain, error) in enumerate(batch.heads):
                yield (
                    number,
                    code,
                    credit,
                    owner,
                    partial(batch.cells, index),
                    partial(ahead.ready, plain, error),
                )
            return
        for number, data in batch:
            code, credit, owner = ahead.head(data)
            yield (
                number,
                code,
                credit,
                owner,
                partial(dict, data),
                partial(ahead.new_client, data, code),
            )

    def _check(
        self,
        cells: Callable[[], dict[str, Any]],
        ready: Callable[[], dict[str, Any]],
        code: str | None,
        owner: str | None,
        existing: Any,
        holders: Mapping[str, Any],
        readable: set[int],
    ) -> dict[str, Any] | None:
        """The row's values to write, None when it changes nothing; raises when invalid."""
        if existing is not None:
            if existing.status == ClientStatus.ARCHIVED:
                raise InvalidInput("code", f"client {existing.code} is archived; restore it first")
            data = cells()
            data.pop("owner", None)
            data.pop("code", None)
            current = {n: getattr(existing, n) for n in self.fields}
            merged = self.structure({**self.unstructure(current), **data}, NewClient)
            if owner and self.users.get(owner) != existing.owner_id:
                raise InvalidInput(
                    "owner",
                    f"client {existing.code} is owned by another manager: hand it over "
                    "with `crm client assign`",
                    rule="CORE-OWN-1",
                )
            values = {n: getattr(merged, n) for n in self.fields}
        else:
            values = ready()  # NewClient's fields, checked, with the pinyin and grams
        holder = holders.get(values["credit_code"]) if values["credit_code"] else None
        if holder is not None and (existing is None or holder.id != existing.id):
            named = holder.code if holder.id in readable else None
            raise InvalidInput(
                "credit_code",
                credit_code_taken(values["credit_code"], named),
                rule="CORE-REC-1",
            )
        if existing is not None:
            if all(values[n] == getattr(existing, n) for n in self.fields):
                return None
            return values
        decision = self.assigner.decide(values["region"], values["industry"], values["importance"])
        if owner:
            if owner not in self.users:
                raise InvalidInput("owner", f"unknown user {owner!r}")
            values["owner_id"] = self.users[owner]
        else:
            values["owner_id"] = decision.manager_id or self.tx.actor.user_id
        values["unit_id"] = decision.unit_id or self.assigner.owner_unit(values["owner_id"])
        values["clearance"] = int(self.level)
        values["code"] = code
        return values

    def _apply_vetoes(
        self,
        new: list[tuple[int, dict[str, Any]]],
        changed: list[tuple[int, Any, dict[str, Any], list[str]]],
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, Any, dict[str, Any], list[str]]]]:
        tx = self.tx
        prospective: list[Client] = []
        for _, values in new:
            prospective.append(_prospective(tx, values, self.logins))
        for _, existing, values, _fields in changed:
            prospective.append(_prospective(tx, {**existing._mapping, **values}, self.logins))
        refused = _vetoes(tx, "clients", prospective)
        if not refused:
            return new, changed
        numbers = [n for n, _ in new] + [n for n, *_ in changed]
        for position, reason in refused.items():
            self.job.error(numbers[position], "row", "plugin", reason)
        keep_new = [r for i, r in enumerate(new) if i not in refused]
        keep_changed = [r for i, r in enumerate(changed, start=len(new)) if i not in refused]
        return keep_new, keep_changed

    def _insert(self, new: list[tuple[int, dict[str, Any]]]) -> list[int]:
        if not new:
            return []
        tx = self.tx
        missing = [values for _, values in new if not values["code"]]
        if missing:
            for values, code in zip(missing, _generated_codes(tx, len(missing)), strict=True):
                values["code"] = code
        now, actor = tx.now, tx.actor.user_id
        records = []
        for _, values in new:
            records.append(
                {
                    **values,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "created_by": actor,
                    "first_contact_by": None,
                    "first_contact_at": None,
                    "archived_reason": None,
                }
            )
        # A plain executemany, then one query for the new ids: RETURNING in parameter order
        # makes SQLAlchemy insert row by row on SQLite (~8x slower here).
        bulk.insert(tx.conn, t.clients, list(records[0]), records)
        c = t.clients.c
        codes = [r["code"] for r in records]
        found = {
            r.code: r.id for r in tx.conn.execute(select(c.code, c.id).where(c.code.in_(codes)))
        }
        ids = [found[code] for code in codes]
        changes = {"import": self.job.report.sha256[:16]}  # one document for every row
        bulk.insert(
            tx.conn,
            t.client_history,
            ["client_id", "version", "changed_at", "changed_by", "action", "changes"],
            [
                {
                    "client_id": client_id,
                    "version": 1,
                    "changed_at": now,
                    "changed_by": actor,
                    "action": "import",
                    "changes": changes,
                }
                for client_id in ids
            ],
        )
        self.to_index.extend(
            (i, r["name"], r["name_pinyin"], r["name_grams"])
            for i, r in zip(ids, records, strict=True)
        )
        return ids

    def finish(self) -> None:
        """Index the new clients, all at once in index order: FTS5 then appends instead of
        merging a segment per batch (2x faster for a million rows)."""
        search_index.add(self.tx.conn, self.to_index)
        self.to_index.clear()

    def _update(self, changed: list[tuple[int, Any, dict[str, Any], list[str]]]) -> list[int]:
        from crmcore.services.clients import with_search_terms

        if not changed:
            return []
        tx, c = self.tx, t.clients.c
        history, reindex_old, reindex_new = [], [], []
        for number, existing, values, names in changed:
            record = with_search_terms(existing, {n: values[n] for n in names})
            done = tx.conn.execute(
                update(t.clients)
                .where(c.id == existing.id, c.version == existing.version)
                .values(**record, version=existing.version + 1, updated_at=tx.now)
            ).rowcount
            if done != 1:
                raise InvalidInput(
                    "code", f"row {number}: client {existing.code} changed meanwhile"
                )
            if "name_pinyin" in record:
                reindex_old.append(
                    (existing.id, existing.name, existing.name_pinyin, existing.name_grams)
                )
                reindex_new.append(
                    (existing.id, record["name"], record["name_pinyin"], record["name_grams"])
                )
            history.append(
                {
                    "client_id": existing.id,
                    "version": existing.version + 1,
                    "changed_at": tx.now,
                    "changed_by": tx.actor.user_id,
                    "action": "import",
                    "changes": {
                        n: [self.unstructure(getattr(existing, n)), self.unstructure(values[n])]
                        for n in names
                    },
                }
            )
        tx.conn.execute(t.client_history.insert(), history)
        search_index.remove(tx.conn, reindex_old)
        search_index.add(tx.conn, reindex_new)
        return [existing.id for _, existing, _, _ in changed]

    def _rows(self, ids: list[int]) -> list[Any]:
        if not ids:
            return []
        rows = {
            r.id: r for r in self.tx.conn.execute(select(t.clients).where(t.clients.c.id.in_(ids)))
        }
        return [rows[i] for i in ids]


def _prospective(tx: Tx, values: Mapping[str, Any], logins: Mapping[int, str]) -> Client:
    from crmcore.services.clients import _client

    row = {
        "id": values.get("id", 0),
        "status": ClientStatus.ACTIVE,
        "first_contact_by": None,
        "first_contact_at": None,
        "archived_reason": None,
        "version": 0,
        "created_at": tx.now,
        "updated_at": tx.now,
        **values,
        "owner_login": logins.get(values["owner_id"]),
        "custodian_login": logins.get(values.get("custodian_id") or 0),
    }
    return _client(row)


def _generated_codes(tx: Tx, count: int) -> list[str]:
    """``count`` fresh codes C000001…, skipping codes someone chose by hand."""
    from crmcore.services.counters import next_number

    codes: list[str] = []
    while len(codes) < count:
        code = f"C{next_number(tx, 'client_code'):06d}"
        if tx.conn.scalar(select(t.clients.c.id).where(t.clients.c.code == code)) is None:
            codes.append(code)
    return codes


# -- contacts --------------------------------------------------------------------------------


class _ContactLoader:
    FIELDS = ("position", "phone", "email", "notes", "profile")

    def finish(self) -> None:
        pass

    def __init__(self, tx: Tx, job: _Job) -> None:
        from crmcore.convert import structure

        self.tx, self.job, self.structure = tx, job, structure
        self.seen: dict[tuple[str, str], int] = {}

    def load(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        tx, job = self.tx, self.job
        clients = _clients_to_write(tx, {cell_text(d.get("client_code")) or "" for _, d in batch})
        candidates = []
        for number, data in batch:
            code = cell_text(data.pop("client_code", None)) or ""
            # Only the columns the row has are written: a file without a phone column, or
            # with a phone withheld from whoever exported it, leaves the phone alone.
            given = [f for f in self.FIELDS if f in data]
            try:
                client_id = _client_to_write(tx, clients, code)
                contact = self.structure(data, NewContact)
            except CrmError as exc:
                job.error(number, getattr(exc, "field", "row"), exc.rule, exc.message)
                continue
            identity = (code, contact.name)
            if identity in self.seen:
                job.error(
                    number,
                    "name",
                    "duplicate",
                    f"{contact.name} of {code} is also in row {self.seen[identity]}",
                )
                continue
            self.seen[identity] = number
            candidates.append((number, client_id, code, contact, given))
        k = t.contacts.c
        existing = (
            {
                (r.client_id, r.name): r
                for r in tx.conn.execute(
                    select(t.contacts).where(
                        tuple_(k.client_id, k.name).in_(
                            [(cid, ct.name) for _, cid, _, ct, _ in candidates]
                        ),
                        k.active.is_(True),
                    )
                )
            }
            if candidates
            else {}
        )
        inserts, updates, created, updated_views = [], [], [], []
        for number, client_id, code, contact, given in candidates:
            values = {f: getattr(contact, f) for f in self.FIELDS}
            values["profile"] = dict(values["profile"])
            old = existing.get((client_id, contact.name))
            if old is None:
                inserts.append((number, client_id, code, contact, values))
                continue
            values = {f: values[f] for f in given if getattr(old, f) != values[f]}
            if contact.id_number and blind_index(tx, contact.id_number) != old.id_number_index:
                values["id_number"] = contact.id_number
            if values:
                kept = {f: getattr(old, f) for f in self.FIELDS if f not in given}
                updates.append((number, old, code, attrs.evolve(contact, **kept), values))
            else:
                job.report.unchanged += 1
        records = [_contact_view(tx, 0, code, ct) for _, _, code, ct, _ in inserts] + [
            _contact_view(tx, old.id, code, ct, old.id_number_masked)
            for _, old, code, ct, _ in updates
        ]
        refused = _vetoes(tx, "contacts", records)
        numbers = [n for n, *_ in inserts] + [n for n, *_ in updates]
        for position, reason in refused.items():
            job.error(numbers[position], "row", "plugin", reason)
        inserts = [r for i, r in enumerate(inserts) if i not in refused]
        updates = [
            r for i, r in enumerate(updates, start=len(numbers) - len(updates)) if i not in refused
        ]
        # CORE-CONF-2/5: writing a field one may not read would let one probe or overwrite it
        access.check_write(
            tx,
            "contact",
            {f for *_, ct, values in inserts for f in values if values[f] not in _EMPTY}
            | {"id_number" for *_, ct, _ in inserts if ct.id_number}
            | {f for *_, values in updates for f in values},
        )
        if inserts:
            rows = [
                {
                    "client_id": cid,
                    "name": ct.name,
                    **values,
                    "active": True,
                    "created_at": tx.now,
                    "created_by": tx.actor.user_id,
                }
                for _, cid, _, ct, values in inserts
            ]
            numbered = any(ct.id_number for *_, ct, _ in inserts)
            ids = _insert_ids(tx, t.contacts, rows, need_ids=numbered)
            for contact_id, (*_, ct, _) in zip(ids, inserts, strict=True):
                if ct.id_number:
                    personal.store_id_number(tx, t.contacts, contact_id, ct.id_number)
            created = [
                _contact_view(tx, i, code, ct)
                for i, (_, _, code, ct, _) in zip(ids, inserts, strict=True)
            ]
        for _, old, code, ct, values in updates:
            number = values.pop("id_number", None)
            if values:
                tx.conn.execute(update(t.contacts).where(k.id == old.id).values(**values))
            if number:
                personal.store_id_number(tx, t.contacts, old.id, number)
            updated_views.append(_contact_view(tx, old.id, code, ct, old.id_number_masked))
        job.report.created += len(inserts)
        job.report.updated += len(updates)
        if (created or updated_views) and _hook_implemented(tx, "crm_imported"):
            tx.hook("crm_imported", kind="contacts", created=created, updated=updated_views)


def _insert_ids(
    tx: Tx, table: Any, rows: list[dict[str, Any]], *, need_ids: bool = False
) -> list[int]:
    """Insert ``rows``; their ids (in order) only when needed: a plugin will be told about
    them, or the caller stores more in them (``need_ids``, e.g. encrypted ID numbers).

    RETURNING in parameter order makes SQLAlchemy insert row by row on SQLite; when nobody
    needs the ids, a plain executemany is used.
    """
    if not need_ids and not _hook_implemented(tx, "crm_imported"):
        tx.conn.execute(table.insert(), rows)
        return [0] * len(rows)
    result = tx.conn.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [r.id for r in result]


def _contact_view(
    tx: Tx, contact_id: int, code: str, contact: NewContact, stored_id: str | None = None
) -> Any:
    """The view a written row becomes (``stored_id``: the masked ID number it already has)."""
    from crmcore.domain.contacts import Contact

    return Contact(
        id=contact_id,
        client_code=code,
        name=contact.name,
        position=contact.position,
        phone=contact.phone,
        email=contact.email,
        notes=contact.notes,
        profile=dict(contact.profile),
        active=True,
        created_at=tx.now,
        id_number=mask_id_number(contact.id_number) if contact.id_number else stored_id,
    )


def _clients_to_write(tx: Tx, codes: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """Client code -> (id, whether the actor may read it), for the codes of one batch."""
    wanted = [c for c in codes if c]
    if not wanted:
        return {}
    c = t.clients.c
    readable = access.readable_clients(tx)
    return {
        r.code: (r.id, bool(r.readable))
        for r in tx.conn.execute(
            select(c.code, c.id, case((readable, True), else_=False).label("readable")).where(
                c.code.in_(wanted)
            )
        )
    }


def _client_to_write(tx: Tx, clients: Mapping[str, tuple[int, bool]], code: str) -> int:
    """The id of the client a contact or log row belongs to; refused as a single add is."""
    if code not in clients:
        raise InvalidInput("client_code", f"unknown client {code!r}")
    client_id, readable = clients[code]
    if not readable:  # a row error like any other: the file names a client one may not touch
        raise InvalidInput(
            "client_code", f"{tx.actor.login} may not read client {code}", rule="CORE-CONF-2"
        )
    return client_id


# -- contact logs ----------------------------------------------------------------------------


class _LogLoader:
    def finish(self) -> None:
        pass

    def __init__(self, tx: Tx, job: _Job) -> None:
        from crmcore.convert import structure

        self.tx, self.job, self.structure = tx, job, structure
        self.users = {r.login: r.id for r in tx.conn.execute(select(t.users.c.login, t.users.c.id))}
        self.seen: dict[tuple[Any, ...], int] = {}

    def load(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        from crmcore.domain.logs import ContactLog
        from crmcore.services.logs import check_dates

        tx, job = self.tx, self.job
        clients = _clients_to_write(tx, {cell_text(d.get("client_code")) or "" for _, d in batch})
        candidates = []
        for number, data in batch:
            code = cell_text(data.pop("client_code", None)) or ""
            author = cell_text(data.pop("author", None)) or tx.actor.login
            data["occurred_at"] = _china_time(data.get("occurred_at"))
            if isinstance(data.get("participants"), str):
                data["participants"] = _split(data["participants"])
            data = {k: v for k, v in data.items() if v is not None}
            try:
                client_id = _client_to_write(tx, clients, code)
                if author not in self.users:
                    raise InvalidInput("author", f"unknown user {author!r}")
                log = self.structure(data, NewLog)
                if log.occurred_at is None:
                    raise InvalidInput("occurred_at", "is required in an import", rule="CORE-LOG-1")
                check_dates(tx.now, log.occurred_at, log.next_action_due)
            except CrmError as exc:
                job.error(number, getattr(exc, "field", "row"), exc.rule, exc.message)
                continue
            identity = (code, log.occurred_at, log.channel, log.summary)
            if identity in self.seen:
                job.error(
                    number, "row", "duplicate", f"the same dealing is in row {self.seen[identity]}"
                )
                continue
            self.seen[identity] = number
            candidates.append((number, client_id, code, author, log))
        g = t.contact_logs.c
        existing = set()
        if candidates:
            for r in tx.conn.execute(
                select(g.client_id, g.occurred_at, g.channel, g.summary).where(
                    tuple_(g.client_id, g.occurred_at).in_(
                        [(cid, log.occurred_at) for _, cid, _, _, log in candidates]
                    )
                )
            ):
                existing.add((r.client_id, r.occurred_at, r.channel, r.summary))
        fresh = []
        for item in candidates:
            _, cid, _, _, log = item
            if (cid, log.occurred_at, log.channel.value, log.summary) in existing:
                job.report.unchanged += 1
            else:
                fresh.append(item)

        def view(log_id: int, code: str, author: str, log: NewLog) -> ContactLog:
            assert log.occurred_at is not None
            return ContactLog(
                id=log_id,
                client_code=code,
                channel=log.channel,
                occurred_at=log.occurred_at,
                author=author,
                participants=tuple(log.participants),
                summary=log.summary,
                next_action=log.next_action,
                next_action_due=log.next_action_due,
                inquiry=log.inquiry,
            )

        if _hook_implemented(tx, "crm_import_veto"):
            refused = _vetoes(tx, "logs", [view(0, code, a, log) for _, _, code, a, log in fresh])
            for position, reason in refused.items():
                job.error(fresh[position][0], "row", "plugin", reason)
            fresh = [r for i, r in enumerate(fresh) if i not in refused]
        if not fresh:
            return
        access.check_write(
            tx,
            "contact_log",
            {
                name
                for *_, log in fresh
                for name in ("summary", "next_action", "participants")
                if getattr(log, name)
            },
        )
        rows = [
            {
                "client_id": cid,
                "channel": log.channel,
                "occurred_at": log.occurred_at,
                "author_id": self.users[author],
                "participants": list(log.participants),
                "summary": log.summary,
                "next_action": log.next_action,
                "next_action_due": log.next_action_due,
                "inquiry": log.inquiry,
                "created_at": tx.now,
            }
            for _, cid, _, author, log in fresh
        ]
        ids = _insert_ids(tx, t.contact_logs, rows)
        first: dict[int, tuple[datetime, int]] = {}
        for _, cid, _, author, log in fresh:
            assert log.occurred_at is not None
            if cid not in first or log.occurred_at < first[cid][0]:
                first[cid] = (log.occurred_at, self.users[author])
        c = t.clients.c
        for cid, (at, author_id) in first.items():
            tx.conn.execute(
                update(t.clients)
                .where(c.id == cid, c.first_contact_by.is_(None))
                .values(first_contact_by=author_id, first_contact_at=at)
            )
        job.report.created += len(fresh)
        if _hook_implemented(tx, "crm_imported"):
            created = [
                view(i, code, a, log) for i, (_, _, code, a, log) in zip(ids, fresh, strict=True)
            ]
            tx.hook("crm_imported", kind="logs", created=created, updated=[])


def _split(text: str) -> list[str]:
    for separator in "、,，;；|":
        text = text.replace(separator, "\n")
    return [p.strip() for p in text.splitlines() if p.strip()]

"""Yearly figures and scorecards of clients (CORE-REC-3, CLS-SCORE-1): record, import, read.

Figures accumulate on the record year by year, each with its source. Recording a value for a
(client, year, metric) that already has one supersedes it: the old row stays, marked with the
moment it was superseded, so ``crm figures show CLIENT --history`` and every classification run
that used it can still show it. Recording the same value from the same source again changes
nothing.

``record_many`` is the bulk path (set-based: a few queries per call, not per row). Either all
rows are recorded or none, unless ``skip_invalid``. ``crm figures import FILE`` reads a CSV
into it. The generic bulk importer (``crm import``, issue 9) can offer a ``figures`` kind the
same way: map headings with :func:`column_names`, build one
:class:`crmcore.domain.figures.YearlyEntry` per row (``figures`` by metric, ``scores`` by
criterion; its validators raise the row's InvalidInput), and call
``crm.figures.record_many(tx, entries, rows=row_numbers, skip_invalid=True)`` once per batch;
``FigureLoad.problems`` are the rows it refused (unknown client, a figure twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import define, field, frozen
from sqlalchemy import and_, select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.figures import CRITERIA, METRICS, Metric, YearlyEntry
from crmcore.errors import CrmError, InvalidInput, NotFound
from crmcore.io import format_of
from crmcore.io.readers import open_source
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t

CHUNK = 5_000
TABLES = {"figures": t.client_figures, "scorecards": t.client_scorecards}
#: CSV columns besides the metrics and criteria: field -> headings a ledger may use.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "client_code": ("客户编号", "编号", "code"),
    "year": ("年度", "年份"),
    "source": ("来源", "数据来源"),
}


@frozen(kw_only=True)
class FigureView:
    client_code: str
    year: int
    metric: str
    label_zh: str
    value: Decimal | None  # None: masked (access.CORE_FIELD_RULES, CORE-REC-3)
    source: str
    recorded_at: datetime
    recorded_by: str
    superseded_at: datetime | None
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class ScorecardView:
    client_code: str
    year: int
    scores: dict[str, Decimal] | None  # None: masked (CLS-SCORE-1)
    source: str
    recorded_at: datetime
    recorded_by: str
    superseded_at: datetime | None
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class FigureSheet:
    client_code: str
    figures: tuple[FigureView, ...]
    scorecards: tuple[ScorecardView, ...]


@frozen
class RowProblem:
    row: int
    field: str
    rule: str | None
    message: str


@define
class FigureLoad:
    """What ``record_many`` or an import did."""

    rows: int = 0
    figures: int = 0  # figure values written
    scorecards: int = 0
    superseded: int = 0  # earlier values replaced (kept in the history)
    unchanged: int = 0  # values recorded before, identical
    problems: list[RowProblem] = field(factory=list)

    @property
    def invalid(self) -> int:
        return len({p.row for p in self.problems})


@frozen(kw_only=True)
class Leader:
    client_code: str
    client_name: str
    year: int
    value: Decimal | None  # None: masked (CORE-REC-3)
    masked: tuple[str, ...] = ()


class FigureService(Service):
    @use_case
    def record(
        self,
        tx: Tx,
        code: str,
        year: int | str,
        figures: Mapping[str, Any] | None = None,
        *,
        source: str,
        scores: Mapping[str, Any] | None = None,
    ) -> FigureSheet:
        """Record one client's figures and/or scorecard for one year."""
        entry = YearlyEntry(
            client_code=code, year=year, source=source, figures=figures or {}, scores=scores
        )
        self.record_many(tx, [entry])
        return self._sheet(tx, code, entry.year, False, action=None)  # the write's audit says it

    @use_case
    def record_many(
        self,
        tx: Tx,
        entries: Sequence[YearlyEntry],
        *,
        rows: Sequence[int] | None = None,
        skip_invalid: bool = False,
    ) -> FigureLoad:
        """Record many entries at once; ``rows`` numbers them for problem reports.

        A problem (unknown client, the same figure twice) refuses the whole call, unless
        ``skip_invalid``: then the valid entries are recorded and ``problems`` lists the rest.
        """
        if any(e.figures for e in entries):
            tx.actor.require("classification.figures")
        if any(e.scores is not None for e in entries):
            tx.actor.require("classification.score")
        numbers = list(rows) if rows is not None else list(range(1, len(entries) + 1))
        load = FigureLoad(rows=len(entries))
        errors: list[CrmError] = []

        def problem(row: int, error: CrmError) -> None:
            errors.append(error)
            field_name = getattr(error, "field", "client_code")
            load.problems.append(RowProblem(row, field_name, error.rule, error.message))

        ids = _client_ids(tx, {e.client_code for e in entries})
        good: list[tuple[int, int, YearlyEntry]] = []
        seen: dict[tuple[int, int, str], int] = {}
        for row, entry in zip(numbers, entries, strict=True):
            client_id = ids.get(entry.client_code)
            if client_id is None:
                problem(row, NotFound(f"client_code: unknown client {entry.client_code!r}"))
                continue
            keys = [(client_id, entry.year, m.value) for m in entry.figures]
            if entry.scores is not None:
                keys.append((client_id, entry.year, "scorecard"))
            twice = next((k for k in keys if k in seen), None)
            if twice is not None:
                problem(
                    row,
                    InvalidInput(
                        twice[2],
                        f"{entry.client_code} {entry.year} {twice[2]} is also in row {seen[twice]}",
                        rule="CORE-REC-3",
                    ),
                )
                continue
            seen.update(dict.fromkeys(keys, row))
            good.append((row, client_id, entry))
        if errors and not skip_invalid:
            if len(entries) == 1:
                raise errors[0]
            first = load.problems[0]
            raise InvalidInput(
                "rows",
                f"{load.invalid} of {len(entries)} rows are invalid (first: row {first.row}, "
                f"{first.field}: {first.message}); nothing was recorded",
                rule=first.rule,
            )
        figures = [
            {"client_id": cid, "year": e.year, "metric": m.value, "value": v, "source": e.source}
            for _, cid, e in good
            for m, v in e.figures.items()
        ]
        cards = [
            {"client_id": cid, "year": e.year, **e.scores, "source": e.source}
            for _, cid, e in good
            if e.scores is not None
        ]
        for rows, keys, counter in (
            (figures, ("client_id", "year", "metric"), "figures"),
            (cards, ("client_id", "year"), "scorecards"),
        ):
            written, superseded, unchanged = _versioned(tx, TABLES[counter], keys, rows)
            setattr(load, counter, getattr(load, counter) + written)
            load.superseded += superseded
            load.unchanged += unchanged
        if load.figures or load.scorecards:
            tx.audit(
                "figures.record",
                "client_figures",
                None,
                client_id=good[0][1] if len({g[1] for g in good}) == 1 else None,
                detail={
                    "years": sorted({e.year for _, _, e in good}),
                    "metrics": sorted({m.value for _, _, e in good for m in e.figures}),
                    "figures": load.figures,
                    "scorecards": load.scorecards,
                    "superseded": load.superseded,
                },
            )
        return load

    def import_csv(
        self,
        subject: Any,
        path: str | Path,
        *,
        skip_invalid: bool = False,
        source: str | None = None,
    ) -> FigureLoad:
        """Record the rows of a CSV (UTF-8, with or without BOM, or GB18030), XLSX or JSON
        Lines file, read as the bulk import reads them (crmcore.io.readers).

        One row per client and year: ``client_code``, ``year``, ``source`` (default: the file
        name), then any metric columns (``sales_amount`` or 销售额, ...) and, for a scorecard,
        all eight criterion columns (``sales_scale`` or 销售规模, ...). Empty cells are skipped.
        """
        path = Path(path)
        header, body = _read_table(path)
        columns = _map_header(header)
        entries: list[YearlyEntry] = []
        rows: list[int] = []
        early: list[RowProblem] = []
        default_source = source or f"import {path.name}"
        for number, cells in body:
            data = _row_fields(columns, cells)
            try:
                entries.append(
                    YearlyEntry(
                        client_code=data.get("client_code") or "",
                        year=data.get("year") or "",
                        source=data.get("source") or default_source,
                        figures=data["figures"],
                        scores=data["scores"] or None,
                    )
                )
                rows.append(number)
            except InvalidInput as exc:
                early.append(RowProblem(number, exc.field, exc.rule, exc.message))
        if early and not skip_invalid:
            first = early[0]
            raise InvalidInput(
                "file",
                f"{len(early)} of {len(body)} rows are invalid (first: row {first.row}, "
                f"{first.field}: {first.message}); nothing was recorded",
                rule=first.rule,
            )
        load = self.record_many(subject, entries, rows=rows, skip_invalid=skip_invalid)
        load.rows = len(body)
        load.problems = sorted([*early, *load.problems], key=lambda p: p.row)
        return load

    @query
    def sheet(
        self, tx: Tx, code: str, *, year: int | None = None, history: bool = False
    ) -> FigureSheet:
        """A client's figures and scorecards, newest year first (superseded ones on request)."""
        return self._sheet(tx, code, year, history, action="figures.sheet")

    def _sheet(
        self, tx: Tx, code: str, year: int | None, history: bool, *, action: str | None
    ) -> FigureSheet:
        client = lookup.readable_client(tx, code)
        f, s = t.client_figures.c, t.client_scorecards.c
        fig_stmt = select(t.client_figures).where(f.client_id == client.id)
        card_stmt = select(t.client_scorecards).where(s.client_id == client.id)
        if year is not None:
            fig_stmt, card_stmt = fig_stmt.where(f.year == year), card_stmt.where(s.year == year)
        if not history:
            fig_stmt = fig_stmt.where(f.superseded_at.is_(None))
            card_stmt = card_stmt.where(s.superseded_at.is_(None))
        figures = tx.conn.execute(fig_stmt.order_by(f.year.desc(), f.metric, f.id)).all()
        cards = tx.conn.execute(card_stmt.order_by(s.year.desc(), s.id)).all()
        names = lookup.logins(tx.conn, {r.recorded_by for r in [*figures, *cards]})
        order = {m.value: i for i, m in enumerate(Metric)}

        def shown(view: Any, entity: str) -> Any:
            return access.present(
                tx,
                view,
                entity,
                action=action,
                client=client,
                record_id=f"{view.year}",
            )

        return FigureSheet(
            client_code=client.code,
            figures=tuple(
                shown(
                    FigureView(
                        client_code=client.code,
                        year=r.year,
                        metric=r.metric,
                        label_zh=METRICS[Metric(r.metric)].label_zh,
                        value=r.value,
                        source=r.source,
                        recorded_at=r.recorded_at,
                        recorded_by=names[r.recorded_by],
                        superseded_at=r.superseded_at,
                    ),
                    "figure",
                )
                for r in sorted(figures, key=lambda r: (-r.year, order[r.metric], r.id))
            ),
            scorecards=tuple(
                shown(
                    ScorecardView(
                        client_code=client.code,
                        year=r.year,
                        scores={name: r._mapping[name] for name in CRITERIA},
                        source=r.source,
                        recorded_at=r.recorded_at,
                        recorded_by=names[r.recorded_by],
                        superseded_at=r.superseded_at,
                    ),
                    "scorecard",
                )
                for r in cards
            ),
        )

    @query
    def leaders(
        self, tx: Tx, metric: str, *, year: int | None = None, limit: int = 20
    ) -> list[Leader]:
        """Clients by a figure, highest first (CORE-ARC-2: sort by annual sales, credit
        standing, collection rate); ``year`` defaults to the latest year with that figure."""
        try:
            known = Metric(metric)
        except ValueError:
            raise InvalidInput(
                "metric", f"{metric!r} is not a figure ({', '.join(m.value for m in Metric)})"
            ) from None
        f, c = t.client_figures.c, t.clients.c
        current = and_(f.metric == known.value, f.superseded_at.is_(None))
        if year is None:
            year = tx.conn.scalar(select(f.year).where(current).order_by(f.year.desc()).limit(1))
            if year is None:
                return []
        rows = tx.conn.execute(
            select(c.id, c.clearance, c.code, c.name, f.year, f.value)
            .join(t.clients, c.id == f.client_id)
            .where(current, f.year == year, access.readable_clients(tx))
            .order_by(f.value.desc(), c.code)
            .limit(limit)
        )
        return [
            access.present(
                tx,
                Leader(client_code=r.code, client_name=r.name, year=r.year, value=r.value),
                "figure",
                action="figures.leaders",
                client=r,
                record_id=f"{r.year}/{known.value}",
            )
            for r in rows
        ]

    def latest(
        self, tx: Tx, client_ids: Sequence[int], metrics: Sequence[Metric], up_to_year: int
    ) -> dict[int, tuple[int, dict[str, Decimal]]]:
        """Per client, the latest year up to ``up_to_year`` with any of ``metrics``, and those
        metrics' values in that year (for reports)."""
        f = t.client_figures.c
        found: dict[int, dict[int, dict[str, Decimal]]] = {}
        names = [m.value for m in metrics]
        for chunk in _chunks(list(client_ids)):
            for r in tx.conn.execute(
                select(f.client_id, f.year, f.metric, f.value).where(
                    f.client_id.in_(chunk),
                    f.metric.in_(names),
                    f.year <= up_to_year,
                    f.superseded_at.is_(None),
                )
            ):
                found.setdefault(r.client_id, {}).setdefault(r.year, {})[r.metric] = r.value
        return {cid: (max(years), years[max(years)]) for cid, years in found.items()}

    # -- writing ------------------------------------------------------------------------------


def _versioned(
    tx: Tx, table: Any, keys: tuple[str, ...], rows: Sequence[dict[str, Any]]
) -> tuple[int, int, int]:
    """Write ``rows``, each superseding the current row with the same ``keys`` (kept, marked
    superseded); a row equal to the current one is skipped. (written, superseded, unchanged)."""
    c = table.c
    current: dict[tuple[Any, ...], Any] = {}
    for chunk in _chunks(sorted({row["client_id"] for row in rows})):
        for r in tx.conn.execute(
            select(table).where(c.client_id.in_(chunk), c.superseded_at.is_(None))
        ):
            current[tuple(r._mapping[k] for k in keys)] = r
    replaced: list[int] = []
    new: list[dict[str, Any]] = []
    for row in rows:
        old = current.get(tuple(row[k] for k in keys))
        if old is not None and all(old._mapping[name] == value for name, value in row.items()):
            continue
        if old is not None:
            replaced.append(old.id)
        new.append({**row, "recorded_at": tx.now, "recorded_by": tx.actor.user_id})
    for chunk in _chunks(replaced):
        tx.conn.execute(update(table).where(c.id.in_(chunk)).values(superseded_at=tx.now))
    for chunk in _chunks(new):
        tx.conn.execute(table.insert(), chunk)
    return len(new), len(replaced), len(rows) - len(new)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _client_ids(tx: Tx, codes: Iterable[str]) -> dict[str, int]:
    c = t.clients.c
    ids: dict[str, int] = {}
    for chunk in _chunks(sorted(codes)):
        ids.update(tx.conn.execute(select(c.code, c.id).where(c.code.in_(chunk))).all())
    return ids


# -- CSV ---------------------------------------------------------------------------------------


def column_names() -> dict[str, str]:
    """Every heading the figure import understands -> field (``client_code``, ``year``,
    ``source``, a metric, or ``score.<criterion>``). For importers that map headers."""
    names: dict[str, str] = {}
    for name, headings in KEY_COLUMNS.items():
        for heading in (name, *headings):
            names[heading] = name
    for metric, spec in METRICS.items():
        for heading in (metric.value, spec.label_zh, *spec.headings):
            names[heading] = metric.value
    for criterion, label in CRITERIA.items():
        for heading in (criterion, f"score.{criterion}", label):
            names[heading] = f"score.{criterion}"
    return names


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and non-empty rows of a CSV (UTF-8 with or without BOM, GBK/GB18030), JSON Lines
    or XLSX file, through the bulk import's readers (crmcore.io)."""
    source = open_source(path, format_of(path.name))
    body: list[tuple[int, list[str]]] = []
    for row in source.rows:
        if row.cells is None:
            raise InvalidInput("file", f"row {row.number}: {row.problem}")
        body.append((row.number, [row.cells.get(h) or "" for h in source.header]))
    return source.header, body


def _map_header(header: Sequence[str]) -> list[str]:
    known = column_names()
    columns = []
    for heading in header:
        name = known.get(heading.strip()) or known.get(heading.strip().lower())
        if name is None:
            raise InvalidInput(
                "header",
                f"unknown column {heading!r} (known: client_code, year, source, "
                f"{', '.join(m.value for m in Metric)}, {', '.join(CRITERIA)})",
            )
        if name in columns:
            raise InvalidInput("header", f"column {heading!r} appears twice")
        columns.append(name)
    missing = [n for n in ("client_code", "year") if n not in columns]
    if missing:
        raise InvalidInput("header", f"missing column {', '.join(missing)}")
    return columns


def _row_fields(columns: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"figures": {}, "scores": {}}
    for name, cell in zip(columns, cells, strict=False):
        value = cell.strip() or None
        if name.startswith("score."):
            data["scores"][name.removeprefix("score.")] = value
        elif name in KEY_COLUMNS:
            data[name] = value
        else:
            data["figures"][name] = value
    if not any(v is not None for v in data["scores"].values()):
        data["scores"] = {}
    return data

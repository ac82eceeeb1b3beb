"""Client rows read and checked one batch ahead, in a second process.

Half of a bulk client import needs neither the database nor the plugins: reading and decoding
the file, structuring each row into ``NewClient`` (python-stdnum checks the credit code) and
spelling the name in pinyin. With a second core, a child process does that for batch N+1
while this process writes batch N. Everything that needs the database or the plugins stays
here, in the order it had: look-ups by code and credit code, duplicates within the file,
access checks, vetoes, hooks once per batch, writing, the audit event. The result is the same
report, error file and rows as in one process (a test compares them).

What crosses the pipe is cheap to unpickle: per row its number, code, credit code and owner,
and either the new client's values as plain text and numbers or the error (field, rule,
message) that structuring raised. The cells of a batch travel as one pickled blob, unpickled
only when a row updates an existing client (its cells are merged with the stored values).

Small files stay in one process (:data:`AHEAD_MIN_BYTES`). The child only pays when the second
core is free: with another busy process on the machine, the two share one core and the import
takes ~10% longer than in one process (measured at 50,000 rows).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import sys
import threading
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from crmcore.domain import checks
from crmcore.domain.clients import ClientSize, ClientStatus, NewClient
from crmcore.domain.search_terms import name_terms
from crmcore.domain.security import Importance
from crmcore.errors import CrmError, InvalidInput
from crmcore.io.readers import cell_text, open_source
from crmcore.services.clients import CLIENT_FIELDS

#: Files smaller than this are imported in one process (~25,000 client rows of a typical
#: ledger): the writer waits ~0.5 s for the child's first batch (its pinyin tables and cattrs
#: warm up, then 5,000 rows), which the ~30 µs a row it saves repay from ~17,000 rows.
AHEAD_MIN_BYTES = 8_000_000
#: The client fields a new client gets from its row, in the order they cross the pipe.
FIELDS = tuple(CLIENT_FIELDS)
_SIZES = {m.value: m for m in ClientSize}
_STATUSES = {m.value: m for m in ClientStatus}
_IMPORTANCES = {m.value: m for m in Importance}
#: A row's outcome: the new client's plain values, or (field, rule, message).
Plain = tuple[Any, ...]
Error = tuple[str, str | None, str]


def head(data: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """A row's code, credit code (as ``NewClient`` stores it) and owner, as the writer matches
    them."""
    credit = checks.credit_code_form(cell_text(data.get("credit_code")))
    return cell_text(data.get("code")), credit, cell_text(data.get("owner"))


def new_client(data: Mapping[str, Any], code: str | None) -> dict[str, Any]:
    """The values a row gives a new client, with its pinyin and grams; raises when invalid.

    Exactly what a single add checks: ``NewClient`` through the one cattrs converter.
    """
    from crmcore.convert import structure

    cells = {k: v for k, v in data.items() if k != "owner"}
    cells["code"] = code
    merged = structure(cells, NewClient)
    values = {n: getattr(merged, n) for n in FIELDS}
    values["name_pinyin"], values["name_grams"] = name_terms(merged.name)
    return values


def _plain(values: Mapping[str, Any]) -> Plain:
    """``values`` as text and numbers, which pickle without calling constructors."""
    out = [values[n] for n in FIELDS]
    for i, n in enumerate(FIELDS):
        if n == "registered_capital":
            out[i] = None if out[i] is None else str(out[i])
        elif n in ("size", "status", "importance"):
            out[i] = None if out[i] is None else out[i].value
    return (*out, values["name_pinyin"], values["name_grams"])


_CAPITAL, _SIZE, _STATUS, _IMPORTANCE = (
    FIELDS.index(n) for n in ("registered_capital", "size", "status", "importance")
)


def typed(plain: Plain) -> dict[str, Any]:
    """The values :func:`new_client` gave, back from :func:`_plain`."""
    values = dict(zip((*FIELDS, "name_pinyin", "name_grams"), plain, strict=True))
    capital, size, importance = plain[_CAPITAL], plain[_SIZE], plain[_IMPORTANCE]
    values["registered_capital"] = None if capital is None else Decimal(capital)
    values["size"] = None if size is None else _SIZES[size]
    values["status"] = _STATUSES[plain[_STATUS]]
    values["importance"] = None if importance is None else _IMPORTANCES[importance]
    return values


class Prepared:
    """One batch as the child sent it: per row (number, code, credit, owner, plain, error)."""

    def __init__(self, heads: list[tuple[Any, ...]], blob: bytes) -> None:
        self.heads, self._blob = heads, blob
        self._cells: list[dict[str, Any]] | None = None

    def __len__(self) -> int:
        return len(self.heads)

    def cells(self, index: int) -> dict[str, Any]:
        """The row's cells, as read (unpickled on first use: only updates need them)."""
        if self._cells is None:
            self._cells = pickle.loads(self._blob)
        return dict(self._cells[index])


def ready(plain: Plain | None, error: Error | None) -> dict[str, Any]:
    """A prepared row's new-client values, or the error structuring raised, raised again."""
    if error is not None:
        field, rule, message = error
        raise InvalidInput(field, message, rule=rule)
    assert plain is not None
    return typed(plain)


def wanted(kind: str, size: int) -> bool:
    """Whether to read ahead in a child: client files of some size, on a multi-core machine,
    from a process that may have children (a daemonic worker of a pool may not)."""
    return (
        kind == "clients"
        and size >= AHEAD_MIN_BYTES
        and (os.cpu_count() or 1) > 1
        and not multiprocessing.current_process().daemon
    )


class Ahead:
    """The child process and the pipe its batches come through."""

    def __init__(self, job: Any) -> None:
        context = _context()
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_work,
            args=(child, job.kind, job.report.format, job.path, job.report.encoding, job.columns),
            name="crm-import-ahead",
            daemon=True,
        )
        self._process.start()
        child.close()

    def messages(self) -> Iterator[tuple[Any, ...]]:
        """("batch", rows, position, errors, full, Prepared) …, then ("end", rows, position,
        errors); a failure in the child is raised here, where reading would have raised it."""
        while True:
            try:
                message = self._conn.recv()
            except EOFError:
                raise RuntimeError(
                    "the import's reading process stopped unexpectedly "
                    f"(exit code {self._process.exitcode})"
                ) from None
            yield message
            if message[0] != "batch":
                return

    def close(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._conn.close()


def _context() -> Any:
    """fork on Linux when this process has one thread (the CLI, a script: the child starts in
    ~20 ms with what this process has loaded); spawn otherwise, as forking a threaded server
    (or anything on macOS) is unsafe."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _portable(exc: BaseException) -> BaseException | tuple[str, str, str | None]:
    """``exc`` in a form that survives the pipe (InvalidInput's arguments do not pickle)."""
    if isinstance(exc, InvalidInput):
        return (exc.field, exc.message, exc.rule)
    try:
        return pickle.loads(pickle.dumps(exc))  # type: ignore[no-any-return]
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def raised(failure: BaseException | tuple[str, str, str | None]) -> BaseException:
    """The exception the child sent, as :func:`_portable` made it."""
    if isinstance(failure, tuple):
        field, message, rule = failure
        return InvalidInput(field, message, rule=rule)
    return failure


def _work(
    conn: Any, kind: str, fmt: str, path: Path, encoding: str | None, columns: dict[str, str]
) -> None:
    """The child: read the file as the job would, and send each batch prepared."""
    from crmcore.services.imports import BATCH, _Job

    class Reading(_Job):
        """Keeps its row errors to send them with the batch they belong to."""

        def _flush_errors(self) -> None:
            """Nothing to flush here: :meth:`taken` sends the errors with their batch, and the
            writer reports them (errors after the last batch go with the end message)."""

        def taken(self) -> list[Any]:
            errors, self._pending = self._pending, []
            return errors

    job = Reading(kind, fmt, path, encoding, False, False, None, None)
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    sender = threading.Thread(target=_send_all, args=(conn, outbox), daemon=True)
    sender.start()

    def send(message: tuple[Any, ...]) -> None:
        outbox.put(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    try:
        job.columns = columns
        job.source = open_source(path, fmt, encoding)
        for batch in job.batches():
            heads = []
            for number, data in batch:
                code, credit, owner = head(data)
                try:
                    heads.append(
                        (number, code, credit, owner, _plain(new_client(data, code)), None)
                    )
                except CrmError as exc:
                    error = (getattr(exc, "field", "row"), exc.rule, exc.message)
                    heads.append((number, code, credit, owner, None, error))
            blob = pickle.dumps([data for _, data in batch], pickle.HIGHEST_PROTOCOL)
            send(
                (
                    "batch",
                    job.report.rows,
                    job.source.position(),
                    job.taken(),
                    len(batch) >= BATCH,
                    Prepared(heads, blob),
                )
            )
        send(("end", job.report.rows, job.source.position(), job.taken()))
    except BaseException as exc:  # raised again in the writer, where reading would raise it
        send(("failed", job.report.rows, 0, job.taken(), _portable(exc)))
    finally:
        outbox.put(None)
        sender.join()
        conn.close()


def _send_all(conn: Any, outbox: queue.Queue[bytes | None]) -> None:
    """The child's second thread: writes to the pipe (without the GIL) while the first
    prepares the next batch, so a writer that was slow for one batch finds two ready."""
    if sys.platform == "linux":  # a 1 MB pipe: fewer switches between the two processes
        import fcntl

        with contextlib.suppress(OSError):
            fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    while (payload := outbox.get()) is not None:
        conn.send_bytes(payload)

"""The access matrix: role x clearance x relationship x field over every door, zero leaks.

Rules CORE-CONF-1..5: a user reads a client only with the clearance for its level and a
relationship (owner, co-contact, the unit tree, a grant) or ``access.all_clients``; each field
needs what its rules ask (the most restrictive wins); an ID number is never shown in clear.

Every user of 7 roles (the six built-in ones and a plugin's) x 4 clearances x 5 relationships
looks at clients of the 4 record levels through every door that exists in the core: the Python
API (get, list, search, history, contacts, find by ID number, timeline, memos, archive
documents and their export, archive index, coverage report, audit log, workflow instances,
their history and the task list, bulk export of clients, contacts and logs) and the CLI
(client show/list/search, contact list, log list, memo show, archive list, workflow show and
history, tasks, export; each with and without ``--json``, exports as CSV and JSON Lines). Each
client's every field carries a unique marker; a marker of a field the oracle says is withheld
must appear nowhere in what the door returned, and a marker the oracle says is visible must
appear where the door shows that field (so the test cannot pass by showing nothing).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner

from crmcore import (
    Crm,
    NewClient,
    NewContact,
    NewLog,
    NewMemo,
    NewUser,
    PermissionDenied,
    State,
    Transition,
    Workflow,
    hookimpl,
)
from crmcore.cli import cli as crm_cli
from crmcore.cli.context import CliApp
from crmcore.domain.archives import NewDocument
from crmcore.domain.plugins import PluginInfo
from crmcore.domain.security import Clearance, NewUnit
from crmcore.sampledata import SampleData

LEVELS = list(Clearance)
ROLES = [
    "admin",
    "director",
    "account_manager",
    "finance",
    "audit_legal",
    "read_only",
    "matrix_viewer",
]
RELATIONS = ["owner", "co_contact", "unit", "grant", "none"]
CAPITAL_PERMISSION = "matrix.capital.read"
SEES_ALL = {"admin", "audit_legal"}  # "*" and access.all_clients
HAS_CAPITAL = {"admin", "finance", "matrix_viewer"}  # matrix.capital.read
AUDIT_READERS = {"admin", "audit_legal"}


class MatrixPlugin:
    """A plugin adding a role, a permission, and a conditional secret on a core field
    (CORE-CONF-4: secret until a decision; here, while the client is not dormant)."""

    @staticmethod
    @hookimpl
    def crm_plugin_info() -> PluginInfo:
        return PluginInfo(name="matrix")

    @staticmethod
    @hookimpl
    def crm_roles(register: Callable[..., None]) -> None:
        register("matrix_viewer", ["client.read", "log.read", "workflow.read", CAPITAL_PERMISSION])
        register("finance", [CAPITAL_PERMISSION])

    @staticmethod
    @hookimpl
    def crm_workflows(register: Callable[..., None]) -> None:
        register(
            Workflow(
                name="matrix.review",
                title="Review",
                initial="review",
                states=(State("review"), State("done", terminal=True)),
                transitions=(Transition("approve", "review", "done", role="director"),),
            )
        )

    @staticmethod
    @hookimpl
    def crm_sensitive_fields(register: Callable[..., None]) -> None:
        register(
            "client",
            "registered_capital",
            clearance="confidential",
            permission=CAPITAL_PERMISSION,
            when=lambda record: getattr(record, "status", None) != "dormant",
            rule="CORE-CONF-4",
        )
        # a workflow's data (e.g. a price under approval) only for those cleared for secret
        register("workflow_instance", "data", clearance="secret", rule="CORE-CONF-4")


class Case:
    """One client of the matrix and the marker of each of its fields."""

    def __init__(self, n: int, level: Clearance, relation: str, owner: str | None, id_number: str):
        self.code = f"M{n:04d}"
        self.level = level
        self.relation = relation
        self.owner = owner  # the owning matrix user (relation "owner" only)
        self.dormant = level in (Clearance.INTERNAL, Clearance.SECRET)
        self.id_number = id_number
        self.markers = {
            "name": f"矩阵客户{self.code}号",
            "profile": f"PROF-{self.code}",
            "registered_capital": f"{100000 + n}.17",
            "contact.phone": f"139{n:08d}",
            "contact.email": f"m{n}@matrix.cn",
            "contact.profile": f"CPROF-{self.code}",
            "contact.id_number": id_number[:3] + "*" * 11 + id_number[-4:],
            "log.summary": f"LOGSUM-{self.code}",
            "log.next_action": f"NEXT-{self.code}",
            "memo.body": f"MEMOBODY-{self.code}",
            "document.title": f"DOCTITLE-{self.code}",
            "document.content": f"DOCBYTES-{self.code}",
            "workflow.comment": f"WFCOMMENT-{self.code}",
            "workflow.data": f"WFDATA-{self.code}",
        }


class User:
    def __init__(self, role: str, level: Clearance, relation: str):
        self.role, self.level, self.relation = role, level, relation
        self.login = f"{role.replace('_', '')}-{level.label}-{relation.replace('_', '')}"


def readable(user: User, case: Case) -> bool:
    if user.level < case.level:
        return False
    if user.role in SEES_ALL:
        return True
    if user.relation == "owner":
        return case.owner == user.login
    return case.relation == user.relation and user.relation != "none"


def field_visible(user: User, case: Case, name: str) -> bool:
    """The oracle, written from RULES.md and the declared rules, not from the code."""
    level = user.level
    return {
        "name": True,
        "profile": level >= Clearance.CONFIDENTIAL,
        "registered_capital": case.dormant
        or (level >= Clearance.CONFIDENTIAL and user.role in HAS_CAPITAL),
        "contact.phone": level >= Clearance.INTERNAL,
        "contact.email": level >= Clearance.INTERNAL,
        "contact.profile": level >= Clearance.CONFIDENTIAL,
        "contact.id_number": level >= Clearance.INTERNAL,
        "log.summary": True,
        "log.next_action": level == Clearance.SECRET,  # an admin's field rule
        "memo.body": level >= Clearance.CONFIDENTIAL,
        "document.title": True,
        "document.content": True,
        "workflow.comment": True,
        "workflow.data": level == Clearance.SECRET,  # the plugin's rule
    }[name]


# What each door shows: the fields whose markers must appear when visible. Every other marker
# of the client is checked only for absence when withheld (and for absence when unreadable).
CLIENT_FULL = {"name", "profile", "registered_capital"}
CLIENT_ROW = {"name"}
CONTACTS = {"contact.phone", "contact.email", "contact.profile", "contact.id_number"}
CONTACT_ROW = {"contact.phone", "contact.email", "contact.id_number"}
LOGS = {"log.summary", "log.next_action"}
MEMO = {"memo.body"}
DOCS = {"document.title"}
WORKFLOW = {"name", "workflow.data"}
HISTORY = {"workflow.comment"}
#: What each export writes (CSV and JSON Lines), by kind.
EXPORTS = {"clients": CLIENT_FULL, "contacts": CONTACTS, "logs": LOGS}


class _Scan:
    """Marker lookups in one door's output, exact but cheap on large outputs: a marker that
    embeds its client's code can only be present where the code is; an ID number only in a
    run of at least 18 digits."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.codes = set(re.findall(r"M\d{4}", text))
        self.runs = re.findall(r"[0-9X]{18,}", text)

    def has(self, case: Case, marker: str) -> bool:
        if case.code in marker and case.code not in self.codes:
            return False
        return marker in self.text

    def has_id(self, number: str) -> bool:
        return any(number in run for run in self.runs)


class Matrix:
    def __init__(self, crm: Crm, url: str, cases: list[Case], users: list[User]):
        self.crm, self.url, self.cases, self.users = crm, url, cases, users
        self.checked = 0
        self.leaks: list[str] = []
        self.runner = CliRunner()
        self.id_numbers = [c.id_number for c in cases]

    # -- judging one door's output ---------------------------------------------------------

    def judge(
        self,
        door: str,
        user: User,
        text: str,
        cases: Iterable[Case],
        shows: set[str],
        expect: Case | None = None,
    ) -> None:
        """No withheld marker of ``cases`` in ``text``; the ``shows`` markers of every visible
        case present (of ``expect`` only, when the door answers for one client)."""
        found = _Scan(text)
        for plain in self.id_numbers:  # CORE-CONF-5: never in clear, for nobody, anywhere
            self.checked += 1
            if found.has_id(plain):
                self.leaks.append(f"{door} as {user.login}: a plaintext ID number")
        for case in cases:
            visible = readable(user, case)
            for name, marker in case.markers.items():
                self.checked += 1
                if not visible or not field_visible(user, case, name):
                    if found.has(case, marker):
                        self.leaks.append(f"{door} as {user.login}: {case.code}.{name} leaked")
                elif name in shows and expect in (None, case) and not found.has(case, marker):
                    self.leaks.append(f"{door} as {user.login}: {case.code}.{name} missing")

    def api(
        self, door: str, user: User, call: Callable[[], Any], case: Case, shows: set[str]
    ) -> None:
        """A door for one client: refused exactly when the client is unreadable."""
        try:
            text = repr(call())
        except PermissionDenied:
            self.checked += 1
            if readable(user, case):
                self.leaks.append(f"{door} as {user.login}: {case.code} refused but readable")
            return
        self.checked += 1
        if not readable(user, case):
            self.leaks.append(f"{door} as {user.login}: {case.code} answered but unreadable")
        self.judge(door, user, text, [case], shows)

    def cli(self, user: User, *args: str) -> tuple[bool, str]:
        app = CliApp()
        app._crm = self.crm  # the open Crm (with the matrix plugin), as `crm` would open it
        result = self.runner.invoke(crm_cli, ["--as", user.login, *args], obj=app)
        if result.exception is not None and not isinstance(
            result.exception, (PermissionDenied, SystemExit)
        ):
            raise result.exception
        return result.exit_code == 0 and result.exception is None, result.output

    def cli_door(self, door: str, user: User, args: list[str], case: Case, shows: set[str]) -> None:
        ok, text = self.cli(user, *args)
        self.checked += 1
        if ok != readable(user, case):
            self.leaks.append(f"cli {door} as {user.login}: {case.code} ok={ok}")
        self.judge(
            f"cli {door}", user, text, self.cases if not ok else [case], shows if ok else set()
        )


def build(crm: Crm, admin: Any) -> tuple[list[Case], list[User]]:
    sample = SampleData(44)
    users = [User(r, lv, rel) for r, lv, rel in itertools.product(ROLES, LEVELS, RELATIONS)]
    cases: list[Case] = []
    numbers = iter(sample.id_number() for _ in range(10_000))
    n = itertools.count(1)
    with crm.transaction(admin) as tx:
        for login, roles in [
            ("outsider", ("account_manager",)),
            ("leafowner", ("account_manager",)),
        ]:
            crm.users.add(tx, NewUser(login=login, name=login, roles=roles, clearance="secret"))
        for u in users:
            crm.users.add(
                tx, NewUser(login=u.login, name=u.login, roles=(u.role,), clearance=u.level)
            )
        crm.org.add_unit(tx, NewUnit(code="TOP", name="总部", kind="head_office"))
        crm.org.add_unit(tx, NewUnit(code="LEAF", name="大客户部", kind="department", parent="TOP"))
        crm.org.add_member(tx, "LEAF", "leafowner")
        for u in users:
            if u.relation == "unit":
                crm.org.add_member(tx, "TOP", u.login)
        for relation in RELATIONS:
            owners = (
                [u.login for u in users if u.relation == "owner"] if relation == "owner" else [None]
            )
            for owner, level in itertools.product(owners, LEVELS):
                cases.append(Case(next(n), level, relation, owner, next(numbers)))
        for case in cases:
            _fill(crm, tx, case, users)
        crm.access.add_field_rule(tx, "contact_log", "next_action", clearance="secret")
    return cases, users


def _fill(crm: Crm, tx: Any, case: Case, users: list[User]) -> None:
    m = case.markers
    owner = case.owner or ("leafowner" if case.relation == "unit" else "outsider")
    crm.clients.add(
        tx,
        NewClient(
            code=case.code,
            name=m["name"],
            owner=owner,
            profile={"note": m["profile"]},
            registered_capital=Decimal(m["registered_capital"]),
            status="dormant" if case.dormant else "active",
        ),
    )
    crm.access.set_level(tx, case.code, case.level)
    if case.relation == "co_contact":
        for u in users:
            if u.relation == "co_contact":
                crm.clients.add_co_contact(tx, case.code, u.login)
    if case.relation == "grant":
        for u in users:
            if u.relation == "grant":
                crm.access.grant(tx, case.code, user=u.login, reason="矩阵测试")
    crm.contacts.add(
        tx,
        case.code,
        NewContact(
            name="联系人",
            phone=m["contact.phone"],
            email=m["contact.email"],
            profile={"family": m["contact.profile"]},
            id_number=case.id_number,
        ),
    )
    crm.logs.add(
        tx,
        case.code,
        NewLog(channel="visit", summary=m["log.summary"], next_action=m["log.next_action"]),
    )
    crm.memos.add(
        tx, case.code, NewMemo(title="备忘录", body=m["memo.body"], signers=("outsider",))
    )
    crm.archives.file(
        tx,
        case.code,
        NewDocument(
            category="contracts",
            title=m["document.title"],
            filename="contract.pdf",
            content=f"%PDF-1.4 {m['document.content']}".encode(),
            clearance=Clearance.PUBLIC,
        ),
    )
    crm.workflows.start(
        tx,
        "matrix.review",
        case.code,
        data={"note": m["workflow.data"]},
        comment=m["workflow.comment"],
    )


@pytest.fixture
def matrix(crm_url: str) -> Matrix:
    with Crm.open(crm_url, extra_plugins={"matrix": MatrixPlugin}) as crm:
        cases, users = build(crm, crm.actor("admin"))
        yield Matrix(crm, crm_url, cases, users)


def test_access_matrix_has_no_leak_through_any_door(matrix: Matrix, capsys, tmp_path) -> None:
    crm, cases = matrix.crm, matrix.cases
    by_code = {c.code: c for c in cases}
    docs: dict[str, int] = {}
    memos: dict[str, int] = {}
    flows: dict[str, int] = {}
    admin = crm.actor("admin")
    for case in cases:
        docs[case.code] = crm.archives.list(admin, case.code)[0].id
        memos[case.code] = crm.memos.list(admin, case.code)[0].id
        flows[case.code] = crm.workflows.list(admin, client_code=case.code)[0].id
    doors: Counter[str] = Counter()
    per_client_doors: list[tuple[str, Callable[[Any, Case], Any], set[str]]] = [
        ("api client.get", lambda a, c: crm.clients.get(a, c.code), CLIENT_FULL),
        ("api client.history", lambda a, c: crm.clients.history(a, c.code), set()),
        ("api contact.list", lambda a, c: crm.contacts.list(a, c.code), CONTACTS),
        ("api log.timeline", lambda a, c: crm.logs.timeline(a, c.code), LOGS),
        ("api memo.list", lambda a, c: crm.memos.list(a, c.code), MEMO),
        ("api memo.get", lambda a, c: crm.memos.get(a, memos[c.code]), MEMO),
        ("api archive.list", lambda a, c: crm.archives.list(a, c.code), DOCS),
        ("api archive.get", lambda a, c: crm.archives.get(a, docs[c.code]), DOCS),
        (
            "api archive.export",
            lambda a, c: crm.archives.content(a, docs[c.code])[1].decode(),
            {"document.content"},
        ),
        ("api workflow.get", lambda a, c: crm.workflows.get(a, flows[c.code]), WORKFLOW),
        ("api workflow.history", lambda a, c: crm.workflows.history(a, flows[c.code]), HISTORY),
    ]
    for user in matrix.users:
        actor = crm.actor(user.login)
        related = [
            c
            for c in cases
            if c.owner == user.login or (c.relation == user.relation and c.owner is None)
        ]
        # per-client doors: the related client at the user's own level (readable unless the
        # relationship is "none") and one at another level (above: refused by clearance; for
        # secret users the confidential one, which is active where the secret one is dormant)
        other = user.level + 1 if user.level < Clearance.SECRET else Clearance.CONFIDENTIAL
        mine = [c for c in related if c.level in (user.level, other)]
        # -- listing doors: every client at once
        listed = crm.clients.list(actor, include_archived=True, limit=1000)
        matrix.judge("api client.list", user, repr(listed), cases, CLIENT_FULL)
        matrix.judge(
            "api archive.index", user, repr(crm.archives.index(actor, limit=1000)), cases, {"name"}
        )
        matrix.judge("api org.coverage", user, repr(crm.org.coverage(actor)), cases, set())
        listed_flows = crm.workflows.list(actor, limit=1000)
        matrix.judge("api workflow.list", user, repr(listed_flows), cases, WORKFLOW)
        tasks = crm.tasks.waiting(actor)
        matrix.judge("api tasks", user, repr(tasks), cases, set())
        matrix.checked += 1
        waiting = {k.client_code for k in tasks if k.kind == "workflow"}
        expected = (
            {c.code for c in cases if readable(user, c)} if user.role == "director" else set()
        )
        if waiting != expected:
            matrix.leaks.append(f"api tasks as {user.login}: {sorted(waiting ^ expected)}")
        for kind, shows in EXPORTS.items():
            out = tmp_path / f"{user.login}-{kind}.csv"
            crm.exports.run(actor, kind, out)
            matrix.judge(f"api export {kind}", user, out.read_text("utf-8-sig"), cases, shows)
            doors["api"] += 1
        for case in mine:
            search = crm.clients.search(actor, case.markers["name"])
            matrix.judge("api client.search", user, repr(search), cases, CLIENT_FULL, case)
            found = crm.contacts.find_by_id_number(actor, case.id_number)
            matrix.judge("api contact.find_id", user, repr(found), cases, CONTACTS, case)
            for door, call, shows in per_client_doors:
                matrix.api(door, user, functools.partial(call, actor, case), case, shows)
            doors["api"] += 2 + len(per_client_doors)
        # -- the command line, as people and scripts use it
        for as_json in (False, True):
            flag = ["--json"] if as_json else []
            _, text = matrix.cli(user, "client", "list", "--archived", "--limit", "1000", *flag)
            matrix.judge("cli client list", user, text, cases, CLIENT_ROW)
            for case in mine[:1]:
                matrix.cli_door(
                    "client show",
                    user,
                    ["client", "show", case.code, *flag],
                    case,
                    CLIENT_FULL | CONTACT_ROW | {"log.summary"},
                )
                # by code: the table's title echoes the query, which is the user's own input
                _, text = matrix.cli(user, "client", "search", case.code, *flag)
                matrix.judge("cli client search", user, text, cases, CLIENT_ROW, case)
                matrix.cli_door(
                    "contact list", user, ["contact", "list", case.code, *flag], case, CONTACT_ROW
                )
                matrix.cli_door(
                    "log list", user, ["log", "list", case.code, *flag], case, {"log.summary"}
                )
                matrix.cli_door(
                    "memo show", user, ["memo", "show", str(memos[case.code]), *flag], case, MEMO
                )
                matrix.cli_door(
                    "archive list", user, ["archive", "list", case.code, *flag], case, DOCS
                )
                flow = str(flows[case.code])
                matrix.cli_door(
                    "workflow show", user, ["workflow", "show", flow, *flag], case, WORKFLOW
                )
                matrix.cli_door(
                    "workflow history", user, ["workflow", "history", flow, *flag], case, HISTORY
                )
                doors["cli"] += 8
            _, text = matrix.cli(user, "tasks", *flag)
            matrix.judge("cli tasks", user, text, cases, set())
        for kind, shows in EXPORTS.items():
            out = tmp_path / f"{user.login}-{kind}.jsonl"
            ok, _ = matrix.cli(user, "export", kind, str(out), "--no-progress")
            matrix.checked += 1
            if not ok:
                matrix.leaks.append(f"cli export {kind} as {user.login} failed")
                continue
            matrix.judge(f"cli export {kind}", user, out.read_text("utf-8"), cases, shows)
            doors["cli"] += 1
        # -- the audit view: only audit readers, only events of clients they may read
        if user.role in AUDIT_READERS:
            entries = crm.audit.log(actor, limit=5000)
            seen = {e.client_code for e in entries if e.client_code}
            for code in seen:
                matrix.checked += 1
                if code not in by_code or not readable(user, by_code[code]):
                    matrix.leaks.append(f"audit log as {user.login}: events of {code}")
            matrix.judge("api audit.log", user, repr(entries), cases, set())
            _, text = matrix.cli(user, "audit", "log", "--limit", "500", "--json")
            matrix.judge("cli audit log", user, text, cases, set())
        else:
            with pytest.raises(PermissionDenied):
                crm.audit.log(actor)
            matrix.checked += 1
    # audit bodies hold field names, never values (CORE-CONF-2/5), whoever looks
    with crm.engine.connect() as conn:
        bodies = "\n".join(conn.exec_driver_sql("SELECT body FROM audit_events").scalars())
    for case in cases:
        for name, marker in case.markers.items():
            if name not in {"name", "contact.id_number"}:
                matrix.checked += 1
                if marker in bodies:
                    matrix.leaks.append(f"audit body holds {case.code}.{name}")
        matrix.checked += 1
        if case.id_number in bodies:
            matrix.leaks.append(f"audit body holds {case.code}'s ID number")
    with capsys.disabled():  # shown in every run, not only with -s
        print(
            f"\naccess matrix: {len(matrix.users)} users ({len(ROLES)} roles x {len(LEVELS)} clearances"
            f" x {len(RELATIONS)} relationships) x {len(cases)} clients ({len(LEVELS)} levels) x "
            f"{len(cases[0].markers)} fields; {doors['api']} API and {doors['cli']} CLI door calls "
            f"per-client plus listings; {matrix.checked:,} (door x user x client x field) cases checked, {len(matrix.leaks)} leaks"
        )
    assert matrix.leaks == [], "\n".join(matrix.leaks[:40])
    assert matrix.checked > 100_000

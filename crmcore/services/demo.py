"""``crm demo``: a small, realistic database to look around in.

Seeded, so every demo is the same; plugins add their records through ``crm_demo_data``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import func, select

from crmcore.app import Service, Tx, query, use_case
from crmcore.convert import structure
from crmcore.domain.clients import Client, NewClient
from crmcore.domain.contacts import NewContact
from crmcore.domain.logs import NewLog, NewMemo
from crmcore.domain.users import NewUser
from crmcore.errors import Conflict
from crmcore.services.users import create_user
from crmcore.settings import database_url
from crmcore.store import tables as t

MARKER = "demo_loaded"

STAFF = [
    ("zhangwei", "张伟", ("director",)),
    ("lina", "李娜", ("account_manager",)),
    ("wangfang", "王芳", ("account_manager",)),
    ("liuyang", "刘洋", ("account_manager",)),
    ("chenjing", "陈静", ("finance",)),
    ("zhaolei", "赵磊", ("audit_legal",)),
]

#: code, name, kind, parent, managing level, region, manager, members
UNITS = [
    ("HQ", "总部", "head_office", None, None, None, "zhangwei", ("zhangwei",)),
    ("KA", "大客户部", "department", "HQ", None, None, "wangfang", ("wangfang", "liuyang")),
    ("GD", "广东分公司", "branch", "HQ", "provincial", "广东", "lina", ("lina",)),
    ("GD-GZ", "广州营业部", "region", "GD", "city", "广东/广州", "lina", ()),
    ("FIN", "财务部", "department", "HQ", None, None, None, ("chenjing",)),
    ("LEGAL", "审计法务部", "department", "HQ", None, None, None, ("zhaolei",)),
]


@frozen
class DemoResult:
    database: str
    initialised: bool
    enabled: list[str]
    summary: dict[str, Any] | None  # None: the demo was already there


def build(
    url: str | None = None,
    *,
    login: str = "admin",
    seed: int = 2026,
    clients: int = 24,
    plugins: bool = True,
) -> DemoResult:
    """Initialise if needed, enable installed plugins, load the demo once."""
    from crmcore.app import Crm
    from crmcore.services import database

    where = database.display(database_url(url))
    initialised = database.ensure(url)
    with Crm.open(url) as crm:
        actor = crm.actor(login, door="cli")
        if crm.demo.loaded(actor):
            return DemoResult(where, initialised, [], None)
        enabled = crm.plugins.enable_installed(actor) if plugins else []
    with Crm.open(url) as crm:  # reopened so the plugins just enabled are loaded
        summary = crm.demo.load(crm.actor(login, door="cli"), seed=seed, clients=clients)
    return DemoResult(where, initialised, enabled, summary)


class DemoService(Service):
    @query
    def loaded(self, tx: Tx) -> bool:
        return (
            tx.conn.scalar(select(t.counters.c.value).where(t.counters.c.name == MARKER))
            is not None
        )

    @use_case
    def load(
        self, tx: Tx, *, seed: int = 2026, clients: int = 24, today: date | None = None
    ) -> dict[str, Any]:
        """Users, clients, contacts, a year of dealings, a memo; then each plugin's part."""
        tx.actor.require("*")
        existing = tx.conn.scalar(select(func.count()).select_from(t.clients))
        if existing:
            raise Conflict(
                f"crm demo fills a new database; this one already has {existing} clients (choose another with --db)"
            )
        today = today or tx.now.date()
        from crmcore.sampledata import SampleData  # only the demo needs the word lists

        sample = SampleData(seed)
        for login, name, roles in STAFF:
            create_user(
                tx, NewUser(login=login, name=name, roles=roles, email=f"{login}@example.com.cn")
            )
        _organisation(tx)
        managers = [login for login, _, roles in STAFF if "account_manager" in roles]
        created: list[Client] = []
        for i, company in enumerate(sample.companies(clients)):
            importance = "key" if i % 4 == 0 else "important" if i % 4 == 1 else "normal"
            data = dict(company, owner=managers[i % len(managers)], importance=importance)
            # scored class (CLS-SCORE-1) until classification lands: 20% A, 30% B, 40% C, 10% D
            data["profile"] = {**data.get("profile", {}), "class": "AABBBCCCCD"[i % 10]}
            created.append(tx.crm.clients.add(tx, structure(data, NewClient)))
        tx.crm.archives.set_custodian(tx, created[0].code, "chenjing")
        logs = 0
        for i, client in enumerate(created):
            people = sample.contacts(2 + i % 3, company={"name": client.name})
            people[0]["id_number"] = sample.id_number()  # an authorised signer (CORE-ARC-1)
            for person in people:
                tx.crm.contacts.add(tx, client.code, structure(person, NewContact))
            if i % 3 == 0:
                tx.crm.clients.add_co_contact(tx, client.code, managers[(i + 1) % len(managers)])
            owner = tx.acting_as(tx.crm.actor(client.owner or "admin", door=tx.actor.door, tx=tx))
            for entry in sample.contact_logs(
                3 + i % 6, today - timedelta(days=365), today - timedelta(days=1)
            ):
                tx.crm.logs.add(owner, client.code, structure(entry, NewLog))
                logs += 1
            if i % 4 == 1:  # an inquiry still waiting for its answer (CORE-LOG-3)
                tx.crm.logs.add(
                    owner,
                    client.code,
                    NewLog(
                        channel="phone",
                        summary="客户来电询问供货价格调整",
                        occurred_at=tx.now - timedelta(hours=30 + i),
                        inquiry=True,
                    ),
                )
                logs += 1
        tx.crm.memos.add(
            tx,
            created[0].code,
            NewMemo(
                title="年度供货框架协议谈判备忘录",
                body="双方就年度供货量、价格调整机制及回款周期达成一致, 待各方签字确认。",
                signers=("zhangwei", "lina", "chenjing"),
            ),
        )
        tx.conn.execute(t.counters.insert().values(name=MARKER, value=seed))
        summary: dict[str, Any] = {
            "users": len(STAFF) + 1,
            "organisation units": len(UNITS),
            "clients": len(created),
            "contacts": sum(2 + i % 3 for i in range(len(created))),
            "contact logs": logs,
            "memos": 1,
        }
        for plugin, result in tx.hook("crm_demo_data", sample=sample, clients=created):
            summary[f"plugin {plugin}"] = result
        return summary


def _organisation(tx: Tx) -> None:
    """A head office with a key-account department and a provincial branch (CORE-OWN-3)."""
    from crmcore.domain.security import NewAssignmentRule, NewUnit

    org = tx.crm.org
    for code, name, kind, parent, level, region, manager, members in UNITS:
        org.add_unit(
            tx,
            NewUnit(
                code=code,
                name=name,
                kind=kind,
                parent=parent,
                level=level,
                region=region,
                manager=manager,
            ),
        )
        for login in members:
            org.add_member(tx, code, login)
    org.add_rule(tx, NewAssignmentRule(unit="GD", region="广东"))
    org.add_rule(tx, NewAssignmentRule(unit="KA"))

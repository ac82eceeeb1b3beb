"""The access model in detail (CORE-CONF-1..4, CORE-OWN-1): who reads which client, which
fields, and which writes are refused. The matrix test walks every door; these pin each rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from attrs import frozen

from crmcore import Crm, InvalidInput, NewClient, NewContact, NotFound, PermissionDenied, hookimpl
from crmcore.domain.plugins import PluginInfo
from crmcore.domain.security import NewUnit
from crmcore.security import access
from crmcore.store import search_index
from crmcore.testing import row_counts


def codes(clients) -> set[str]:
    return {c.code for c in clients}


@pytest.fixture
def org(crm, admin, make_user):
    """HQ > GD > GZ, and HQ > BJ; one account manager in each leaf, a director at HQ."""
    for code, kind, parent in [
        ("HQ", "head_office", None),
        ("GD", "branch", "HQ"),
        ("GZ", "region", "GD"),
        ("BJ", "branch", "HQ"),
    ]:
        crm.org.add_unit(admin, NewUnit(code=code, name=code, kind=kind, parent=parent))
    for login, role, unit in [
        ("boss", "director", "HQ"),
        ("gdhead", "director", "GD"),
        ("gzam", "account_manager", "GZ"),
        ("gzpeer", "account_manager", "GZ"),
        ("bjam", "account_manager", "BJ"),
    ]:
        make_user(login, role)
        crm.org.add_member(admin, unit, login)
    return crm


def test_unit_tree_owner_co_contact_and_custodian_decide_visibility(org, admin, make_user):
    crm = org
    gz = crm.clients.add(admin, NewClient(name="广州客户", owner="gzam"))
    bj = crm.clients.add(admin, NewClient(name="北京客户", owner="bjam"))
    assert gz.unit == "GZ"  # the owner's unit when no rule decides (CORE-OWN-3)
    see = lambda login: codes(crm.clients.list(crm.actor(login)))  # noqa: E731
    assert see("gzam") == {gz.code}  # owner
    assert see("gzpeer") == {gz.code}  # the owner's unit
    assert see("gdhead") == {gz.code}  # a unit above the owner's
    assert see("boss") == {gz.code, bj.code}  # the head office sees everything below
    assert see("bjam") == {bj.code}  # a sibling branch sees nothing of Guangdong
    make_user("helper")
    assert see("helper") == set()  # deny by default
    crm.clients.add_co_contact(admin, bj.code, "helper")
    assert see("helper") == {bj.code}
    crm.clients.remove_co_contact(admin, bj.code, "helper")
    crm.archives.set_custodian(admin, gz.code, "helper")
    assert see("helper") == {gz.code}
    # moving a person out of a unit ends what the unit gave them
    crm.org.remove_member(admin, "GD", "gdhead")
    assert see("gdhead") == set()


def test_grants_to_users_and_roles_end_and_can_be_revoked(org, admin, make_user):
    crm = org
    reader = make_user("reader", "read_only")
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="gzam"))
    with pytest.raises(PermissionDenied):
        crm.clients.get(reader, c.code)
    soon = datetime.now(UTC) + timedelta(days=1)
    g = crm.access.grant(admin, c.code, user="reader", until=soon, reason="年度审计查阅")
    assert crm.clients.get(reader, c.code).name == "甲公司"
    crm.access.revoke(admin, g.id)
    with pytest.raises(PermissionDenied):
        crm.clients.get(reader, c.code)
    crm.access.grant(admin, c.code, role="read_only", reason="全体只读查阅")
    assert codes(crm.clients.list(reader)) == {c.code}
    with pytest.raises(InvalidInput, match="already past"):
        crm.access.grant(
            admin, c.code, user="reader", until=datetime.now(UTC) - timedelta(1), reason="x"
        )
    with pytest.raises(InvalidInput, match="exactly one"):
        crm.access.grant(admin, c.code, user="reader", role="finance", reason="x")
    with pytest.raises(InvalidInput, match="unknown role"):
        crm.access.grant(admin, c.code, role="nobody", reason="x")
    # a granter must be able to read the client themselves
    with pytest.raises(PermissionDenied):
        crm.access.grant(crm.actor("bjam"), c.code, user="reader", reason="x")


def test_a_grant_stops_giving_access_when_its_time_is_up(org, admin, make_user):
    """The access condition is built once per reader and shared by their transactions: the
    moment a grant is judged at must still be each transaction's own (CORE-CONF-2)."""
    crm = org
    reader = make_user("reader", "read_only")
    c = crm.clients.add(admin, NewClient(name="乙公司", owner="gzam"))
    start = datetime.now(UTC)
    crm.access.grant(admin, c.code, user="reader", until=start + timedelta(days=1), reason="审计")
    assert crm.clients.get(reader, c.code).name == "乙公司"
    assert codes(crm.clients.search(reader, "乙公司")) == {c.code}
    crm.clock = lambda: start + timedelta(days=2)
    with pytest.raises(PermissionDenied):
        crm.clients.get(reader, c.code)
    assert crm.clients.list(reader) == []
    assert crm.clients.search(reader, "乙公司") == []
    crm.clock = lambda: start + timedelta(hours=1)  # the same reader, before the end again
    assert codes(crm.clients.list(reader)) == {c.code}


def test_clearance_is_needed_on_top_of_any_relationship(org, admin):
    crm = org
    c = crm.clients.add(admin, NewClient(name="机密客户", owner="gzam"))
    crm.access.set_level(admin, c.code, "secret")
    for login in ("gzam", "boss"):  # owner and head office, both only confidential
        with pytest.raises(PermissionDenied, match="may not read"):
            crm.clients.get(crm.actor(login), c.code)
    crm.users.set_clearance(admin, "gzam", "secret")
    assert crm.clients.get(crm.actor("gzam"), c.code).clearance.label == "secret"
    auditor = crm.actor("admin")
    explained = crm.access.check(auditor, "boss", c.code)
    assert not explained.readable
    assert explained.reasons[0] == "clearance confidential is below the record's secret"


def test_explanations_agree_with_the_doors(org, admin, cli):
    crm = org
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="gzam"))
    for login in ("gzam", "gzpeer", "gdhead", "boss", "bjam"):
        explained = crm.access.check(admin, login, c.code)
        assert explained.readable == (c.code in codes(crm.clients.list(crm.actor(login))))
    shown = json.loads(cli("access", "check", "gdhead", c.code, "--json").stdout)
    assert shown["reasons"] == [
        "the client's unit is the user's unit or below it",
        "the owner's unit is the user's unit or below it",
    ]
    assert "may NOT read" in cli("access", "check", "bjam", c.code).stdout


def test_levels_only_by_those_cleared_for_them(org, admin, make_user):
    crm = org
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="gzam"))
    with pytest.raises(PermissionDenied, match=r"access\.admin"):
        crm.access.set_level(crm.actor("boss"), c.code, "internal")
    make_user("sec", "admin")  # an admin cleared for confidential only
    with pytest.raises(PermissionDenied, match="above their own"):
        crm.access.set_level(crm.actor("sec"), c.code, "secret")
    with pytest.raises(PermissionDenied, match="beyond their own"):
        crm.users.set_clearance(crm.actor("sec"), "gzam", "secret")
    assert crm.access.set_level(admin, c.code, "public").label == "public"
    history = crm.clients.history(admin, c.code)
    assert history[-1]["action"] == "level" and history[-1]["changes"] == {
        "clearance": ["confidential", "public"]
    }
    with pytest.raises(InvalidInput, match="is not one of public, internal, confidential, secret"):
        crm.access.set_level(admin, c.code, "top-secret")


def test_field_rules_mask_in_views_and_history_and_refuse_writes(org, admin, make_user):
    """CORE-CONF-2/4: a field the reader may not see is None and named; writing it is refused."""
    crm = org
    c = crm.clients.add(
        admin,
        NewClient(
            name="甲公司",
            owner="gzam",
            profile={"potential": "高"},
            registered_capital=Decimal("5000000"),
        ),
    )
    crm.access.set_level(admin, c.code, "internal")
    crm.users.set_clearance(admin, "gzam", "internal")
    gzam = crm.actor("gzam")
    seen = crm.clients.get(gzam, c.code)
    assert (seen.profile, seen.masked) == (None, ("profile",))
    assert seen.registered_capital == Decimal("5000000.00")
    crm.access.add_field_rule(admin, "client", "registered_capital", clearance="confidential")
    seen = crm.clients.get(gzam, c.code)
    assert seen.registered_capital is None and seen.masked == ("profile", "registered_capital")
    crm.clients.edit(admin, c.code, {"registered_capital": "6000000"})
    changes = crm.clients.history(gzam, c.code)[-1]
    assert changes["changes"] == {"registered_capital": None}
    assert changes["masked"] == ["registered_capital"]
    before = row_counts(crm)
    for field, value in [("registered_capital", "1"), ("profile", {"potential": "低"})]:
        with pytest.raises(PermissionDenied, match=f"may not write client.{field}") as err:
            crm.clients.edit(gzam, c.code, {field: value})
        assert err.value.rule == "CORE-CONF-2"
    with pytest.raises(PermissionDenied, match=r"contact\.profile"):
        crm.contacts.add(gzam, c.code, NewContact(name="王五", profile={"family": "x"}))
    assert row_counts(crm) == before
    crm.clients.edit(gzam, c.code, {"phone": "020-1234567"})  # readable fields stay writable


def test_admins_tighten_but_never_relax(org, admin, cli):
    crm = org
    with pytest.raises(InvalidInput, match="above public or a permission"):
        crm.access.add_field_rule(admin, "client", "phone", clearance="public")
    rule = crm.access.add_field_rule(admin, "client", "phone", clearance="secret")
    listed = json.loads(cli("access", "fields", "--json").stdout)
    assert {(r["entity"], r["field"], r["owner"]) for r in listed} >= {
        ("client", "profile", "crmcore"),
        ("contact", "id_number", "crmcore"),
        ("client", "phone", "admin"),
    }
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="gzam", phone="020-1234567"))
    assert crm.clients.get(crm.actor("gzam"), c.code).phone is None
    crm.access.end_field_rule(admin, rule.id)
    assert crm.clients.get(crm.actor("gzam"), c.code).phone == "020-1234567"
    with pytest.raises(NotFound):
        crm.access.end_field_rule(admin, rule.id)


@frozen(kw_only=True)
class PriceAnalysis:
    """A plugin's own record: cost is secret until the price is approved (RE-PRICE-6)."""

    id: int
    status: str
    cost_per_m2: Decimal | None
    blind_price: Decimal
    masked: tuple[str, ...] = ()


class PricingPlugin:
    @staticmethod
    @hookimpl
    def crm_plugin_info():
        return PluginInfo(name="pricing")

    @staticmethod
    @hookimpl
    def crm_roles(register):
        register("cost_controller", ["client.read", "pricing.cost.read"])

    @staticmethod
    @hookimpl
    def crm_sensitive_fields(register):
        register(
            "pricing.analysis",
            "cost_per_m2",
            clearance="secret",
            permission="pricing.cost.read",
            when=lambda r: (r["status"] if isinstance(r, dict) else r.status) != "approved",
            rule="CORE-CONF-4",
        )


def test_a_plugins_records_are_masked_through_the_same_function(crm_url, make_user):
    """CORE-CONF-4: ``present`` masks a plugin's own records (attrs or dicts) by its rules,
    records the unmasking, and ``check_write`` refuses writing what cannot be read."""
    with Crm.open(crm_url, extra_plugins={"pricing": PricingPlugin}) as crm:
        admin = crm.actor("admin")
        from crmcore import NewUser

        crm.users.add(
            admin, NewUser(login="cc", name="成本", roles=("cost_controller",), clearance="secret")
        )
        crm.users.add(
            admin,
            NewUser(login="am", name="客户经理", roles=("account_manager",), clearance="secret"),
        )
        client = crm.clients.add(admin, NewClient(name="委建单位", owner="am"))
        draft = PriceAnalysis(
            id=1, status="draft", cost_per_m2=Decimal("6200"), blind_price=Decimal("9600")
        )
        approved = PriceAnalysis(
            id=2, status="approved", cost_per_m2=Decimal("6200"), blind_price=Decimal("9600")
        )
        with crm.transaction(crm.actor("am")) as tx:
            shown = access.present(
                tx, draft, "pricing.analysis", action="pricing.show", client_id=client.id
            )
            assert (shown.cost_per_m2, shown.masked) == (None, ("cost_per_m2",))
            assert (
                access.present(
                    tx, approved, "pricing.analysis", action="pricing.show", client_id=client.id
                )
                == approved
            )
            as_dict = access.present(
                tx,
                {"id": 3, "status": "draft", "cost_per_m2": "6200"},
                "pricing.analysis",
                action=None,
            )
            assert as_dict == {
                "id": 3,
                "status": "draft",
                "cost_per_m2": None,
                "masked": ("cost_per_m2",),
            }
            with pytest.raises(PermissionDenied, match=r"pricing\.analysis\.cost_per_m2"):
                access.check_write(tx, "pricing.analysis", ["cost_per_m2"], draft)
            access.check_write(tx, "pricing.analysis", ["cost_per_m2"], approved)
        with crm.transaction(crm.actor("cc")) as tx:
            shown = access.present(
                tx, draft, "pricing.analysis", action="pricing.show", client_id=client.id
            )
            assert shown.cost_per_m2 == Decimal("6200")
        unmasked = crm.audit.log(admin, action="pricing.show", user="cc")
        assert unmasked[0].detail["unmasked"] == ["pricing.analysis.cost_per_m2"]


def test_a_plugin_declaring_a_bad_sensitive_field_is_named(crm_url):
    from crmcore import PluginError

    class Bad:
        @staticmethod
        @hookimpl
        def crm_plugin_info():
            return PluginInfo(name="bad")

        @staticmethod
        @hookimpl
        def crm_sensitive_fields(register):
            register("bad.thing", "x", clearance="ultra")

    with pytest.raises(PluginError, match=r"plugin bad: sensitive field bad\.thing\.x"):
        Crm.open(crm_url, extra_plugins={"bad": Bad})


def test_a_plugin_may_name_a_workflow_data_key_but_no_key_of_another_core_field(crm_url):
    """Only workflow data is masked key by key; a rule on ``client.profile.age`` would be
    judged nowhere else (exports, imports), so it is refused when the plugin loads."""
    from crmcore import PluginError

    class Keys:
        fields: tuple[tuple[str, str], ...] = ()

        @staticmethod
        @hookimpl
        def crm_plugin_info():
            return PluginInfo(name="keys")

        @staticmethod
        @hookimpl
        def crm_sensitive_fields(register):
            for entity, name in Keys.fields:
                register(entity, name, clearance="secret")

    Keys.fields = (("workflow_instance", "data.cost_per_m2"), ("keys.record", "data.x"))
    with Crm.open(crm_url, extra_plugins={"keys": Keys}) as crm:
        assert {(r.entity, r.field) for r in crm.field_rules} == set(Keys.fields)
    Keys.fields = (("client", "profile.age"),)
    with pytest.raises(PluginError, match=r"plugin keys: .*client\.profile\.age: name a whole"):
        Crm.open(crm_url, extra_plugins={"keys": Keys})


def test_cli_grants_and_levels(org, cli, admin):
    crm = org
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="gzam"))
    assert cli("access", "level", c.code, "secret").exit_code == 0
    made = cli(
        "access", "grant", c.code, "--user", "bjam", "--until", "2099-12-31", "--reason", "协查"
    )
    assert made.exit_code == 0 and "grant 1: bjam may read" in made.stdout
    listed = json.loads(cli("access", "grants", c.code, "--json").stdout)
    assert [(g["user"], g["until"][:10]) for g in listed] == [("bjam", "2099-12-31")]
    assert cli("client", "show", c.code, user="bjam").exit_code == 6  # granted, but not cleared
    bad = cli("access", "grant", c.code, "--user", "bjam", "--until", "someday", "--reason", "x")
    assert (bad.exit_code, bad.stderr.splitlines()[0][:13]) == (3, "error: until:")
    assert cli("access", "revoke", "1").exit_code == 0
    assert cli("access", "revoke", "1").exit_code == 5


def test_exports_are_recorded_with_fields_and_masks(crm, admin):
    """What the export command (issue 9) calls once per export, in its transaction."""
    with crm.transaction(admin) as tx:
        rows = crm.clients.list(tx)
        access.record_export(
            tx,
            "clients",
            count=len(rows),
            fields=["code", "name", "profile"],
            masked=["profile"],
            fmt="xlsx",
            filters={"region": "广东"},
        )
    event = crm.audit.log(admin, action="export.clients")[0]
    assert event.detail == {
        "count": 0,
        "fields": ["code", "name", "profile"],
        "filters": {"region": "广东"},
        "format": "xlsx",
        "masked": ["profile"],
    }


def test_nobody_registers_a_client_they_could_not_read(crm, admin, make_user, cli):
    """Client records are confidential by default (CORE-CONF-1): an account manager cleared
    only for internal records is refused in one clear line, and nothing is written."""
    make_user("junior")
    crm.users.set_clearance(admin, "junior", "internal")
    before = row_counts(crm)
    result = cli("client", "add", "--name", "甲公司", user="junior")
    assert result.exit_code == 6
    assert result.stderr.strip() == (
        "error: clearance: clients are registered as confidential, above junior's clearance "
        "(internal) (CORE-CONF-1)"
    )
    assert row_counts(crm) == before


# -- built-in roles: the union of the confidentiality and the workflow issues -------------------

#: What each built-in role must be able to do, beyond reading clients, workflows and policies,
#: which every role does (a plugin's approvers and every reader see what they approve or read).
ROLE_DUTIES = {
    "director": {
        "client.assign",
        "access.grant",
        "handover.run",
        "org.assign",
        "archive.custodian",
        "report.write",
        "workflow.start",
        "workflow.admin",
    },
    "account_manager": {
        "client.write",
        "contact.write",
        "log.write",
        "memo.write",
        "workflow.start",
    },
    "finance": {"log.write", "report.read", "report.write", "archive.write", "workflow.start"},
    "audit_legal": {"audit.read", "access.all_clients", "personal.reveal", "report.read"},
    "read_only": set(),
}
EVERYONE = {"client.read", "log.read", "workflow.read", "policy.read"}
ADMIN_ONLY = {"policy.admin", "calendar.admin", "keys.admin", "user.admin", "org.admin"}


@pytest.mark.parametrize("role", sorted(ROLE_DUTIES))
def test_built_in_roles_can_do_what_they_are_for_and_no_more(crm, make_user, role):
    actor = make_user(f"u-{role.replace('_', '')}", role)
    assert {p for p in EVERYONE | ROLE_DUTIES[role] if not actor.can(p)} == set()
    assert {p for p in ADMIN_ONLY if actor.can(p)} == set()
    if role == "read_only":
        assert not any(actor.can(p) for p in ("client.write", "log.write", "workflow.start"))
    # and the doors agree: lists of tasks, workflows and policies open for every role
    assert [k for k in crm.tasks.waiting(actor) if k.kind == "workflow"] == []
    assert crm.workflows.list(actor) == []
    assert len(crm.policies.list(actor)) >= 8


def test_a_taken_credit_code_names_the_other_client_only_to_who_may_read_it(
    org, admin, cli, tmp_path
):
    """CORE-REC-1 refuses a second client with the same credit code; the refusal must not
    disclose a client the user may not read (CORE-CONF-2): it says the code is taken, not by
    whom. Someone who may read the holder is told which client it is."""
    from crmcore import Conflict
    from crmcore.services.imports import ImportRefused
    from crmcore.testing import VALID_CREDIT_CODES

    crm = org
    taken, free = VALID_CREDIT_CODES[0], VALID_CREDIT_CODES[1]
    holder = crm.clients.add(
        admin, NewClient(name="北京保密客户有限公司", owner="bjam", credit_code=taken)
    )
    mine = crm.clients.add(admin, NewClient(name="广州客户", owner="gzam", credit_code=free))
    gzam = crm.actor("gzam")  # may not read the Beijing client
    assert holder.code not in codes(crm.clients.list(gzam))
    hidden = (
        f"credit_code: {taken} is already registered for another client, which you may not read"
    )
    before = row_counts(crm)
    with pytest.raises(Conflict) as err:
        crm.clients.add(gzam, NewClient(name="广州新客户", credit_code=taken))
    assert (err.value.message, err.value.rule) == (hidden, "CORE-REC-1")
    with pytest.raises(Conflict) as err:
        crm.clients.edit(gzam, mine.code, {"credit_code": taken})
    assert err.value.message == hidden
    result = cli("client", "add", "--name", "广州新客户", "--credit-code", taken, user="gzam")
    assert result.exit_code == 5 and result.stdout == ""
    assert result.stderr.strip() == f"error: {hidden} (CORE-REC-1)"
    # an import: neither a new row with the code nor a row matched by it names the holder
    errors = []
    for n, row in enumerate((f"GZ-9,广州新客户,{taken}", f",改名,{taken}")):
        rows = tmp_path / f"clients{n}.csv"
        rows.write_text(f"code,name,credit_code\n{row}\n", "utf-8")
        with pytest.raises(ImportRefused) as refused:
            crm.imports.run(gzam, "clients", rows)
        errors.extend(refused.value.report.errors)
    assert [(e.field, e.check) for e in errors] == [
        ("credit_code", "CORE-REC-1"),
        ("credit_code", "CORE-CONF-2"),
    ]
    for text in (repr(errors), result.stderr, hidden):
        assert holder.code not in text and "北京" not in text
    assert row_counts(crm) == before
    # the head office reads both: it is told which client holds the code
    boss = crm.actor("boss")
    with pytest.raises(Conflict, match=f"already registered for client {holder.code}"):
        crm.clients.edit(boss, mine.code, {"credit_code": taken})
    named = cli("client", "add", "--name", "新客户", "--credit-code", taken, user="boss")
    assert named.exit_code == 5
    assert f"already registered for client {holder.code} (CORE-REC-1)" in named.stderr
    assert row_counts(crm) == before


def test_search_asks_the_unit_indexes_whether_a_user_reads_many_clients(
    org, admin, make_user, monkeypatch
):
    """``reads_many`` picks how search reads (issue 9): a director whose units hold more clients
    than ``SCOPE_CAP`` reads the index like an administrator; a user who reads a few clients
    has them tested one by one. It counts a unit's clients and those its members own."""
    crm = org
    for n in range(3):
        crm.clients.add(admin, NewClient(name=f"广州客户{n}", owner="gzam"))
    crm.clients.add(admin, NewClient(name="北京客户", owner="bjam"))
    make_user("helper")

    def reads_many(login: str, count: int) -> bool:
        with crm.transaction(crm.actor(login)) as tx:
            return access.reads_many(tx, count)

    assert reads_many("admin", 10**9)
    assert reads_many("boss", 4) and not reads_many("boss", 5)  # HQ: every unit below it
    assert reads_many("gdhead", 3) and not reads_many("gdhead", 4)
    assert reads_many("gzpeer", 3)  # a unit's members read its clients
    assert not reads_many("helper", 1)  # no unit: only clients given to them, which are few
    # the same clients for a director either way
    boss = crm.actor("boss")
    few = crm.clients.search(boss, "客户", limit=10)
    monkeypatch.setattr(search_index, "SCOPE_CAP", 2)  # now the boss reads "many"
    assert crm.clients.search(boss, "客户", limit=10) == few
    # the code tiers, with access in a condition no index answers (SQLite)
    code = next(c.code for c in few if c.name.startswith("广州"))
    assert crm.clients.search(boss, code)[0].code == code
    assert codes(crm.clients.search(crm.actor("bjam"), code)) == set()  # not theirs
    assert codes(few) == codes(crm.clients.list(boss)) and len(few) == 4


def test_a_director_lists_the_same_clients_read_in_code_order_or_through_the_indexes(
    org, admin, monkeypatch
):
    """``readable_clients(in_order=True)`` (issue 9): for a user who reads many clients SQLite
    reads a listing in code order and tests each client, instead of gathering them through
    the unit index and sorting (a director's page at 1M clients: 100 ms against 0.8 ms). What
    the director sees must not change, nor what a user who reads few sees."""
    crm = org
    for n in range(4):
        crm.clients.add(admin, NewClient(name=f"广州客户{n}", owner="gzam"))
    crm.clients.add(admin, NewClient(name="北京客户", owner="bjam"))
    crm.clients.add(admin, NewClient(name="无主客户"))  # nobody's in particular: admin reads it

    def seen(login: str, **filters: Any) -> tuple[list[str], list[str], list[str]]:
        who = crm.actor(login)
        listed = [c.code for c in crm.clients.list(who, **filters)]
        with crm.transaction(who) as tx:
            paged = [c.code for page in crm.clients.pages(tx, batch=2) for c in page]
        found = [c.code for c in crm.clients.search(who, "客户")]
        return listed, paged, found

    through_indexes = {u: seen(u) for u in ("boss", "gdhead", "bjam")}
    owned = seen("boss", owner="gzam")
    monkeypatch.setattr(access, "MANY", 2)  # now the boss and gdhead read "many"
    assert {u: seen(u) for u in through_indexes} == through_indexes
    assert seen("boss", owner="gzam") == owned
    listed, paged, found = through_indexes["boss"]
    assert listed == paged == sorted(listed) and len(listed) == 5  # not the one nobody has
    assert set(found) == set(listed)  # every one of them has 客户 in its name
    assert through_indexes["bjam"][0] == [c.code for c in crm.clients.list(admin, owner="bjam")]

"""Handover (移交, CORE-OWN-2): a leaving user's clients, co-contact roles, custodianships and
open tasks move to a successor in one transaction; the user can do nothing afterwards."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from crmcore import Crm, InvalidInput, NewClient, NotFound, PermissionDenied, PluginError, hookimpl
from crmcore.domain.plugins import PluginInfo
from crmcore.domain.security import NewAssignmentRule, NewUnit
from crmcore.store import tables as t
from crmcore.testing import row_counts


@pytest.fixture
def leaving(crm, admin, make_user):
    """lina owns two clients, is co-contact on a third, keeps a fourth's archive, manages GD."""
    for login in ("lina", "wangfang", "liuyang"):
        make_user(login)
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
    crm.org.add_unit(
        admin, NewUnit(code="GD", name="广东", kind="branch", parent="HQ", manager="lina")
    )
    crm.org.add_member(admin, "GD", "lina")
    crm.org.add_rule(admin, NewAssignmentRule(unit="GD", region="广东", manager="lina"))
    a = crm.clients.add(admin, NewClient(name="甲公司", owner="lina", importance="key"))
    b = crm.clients.add(admin, NewClient(name="乙公司", owner="lina"))
    c = crm.clients.add(admin, NewClient(name="丙公司", owner="liuyang"))
    d = crm.clients.add(admin, NewClient(name="丁公司", owner="liuyang"))
    crm.clients.add_co_contact(admin, a.code, "wangfang")  # the successor: not twice on a
    crm.clients.add_co_contact(admin, c.code, "lina")
    crm.archives.set_custodian(admin, d.code, "lina")
    return crm, [a.code, b.code, c.code, d.code]


def test_everything_moves_the_user_is_deactivated_and_clients_are_listed(leaving, admin):
    crm, (a, b, c, d) = leaving
    result = crm.handover.run(admin, "lina", "wangfang", reason="离职")
    assert [(i.role, i.client_code) for i in result.items] == [
        ("owner", a),
        ("owner", b),
        ("co_contact", c),
        ("custodian", d),
        ("unit_manager", None),
        ("rule_manager", None),
    ]
    assert result.clients_to_notify == [(a, "甲公司"), (b, "乙公司"), (c, "丙公司"), (d, "丁公司")]
    got = {x: crm.clients.get(admin, x) for x in (a, b, c, d)}
    assert (got[a].owner, got[a].co_contacts) == ("wangfang", ())  # owner now, not co-contact too
    assert got[b].owner == "wangfang"
    assert got[c].co_contacts == ("wangfang",)
    assert got[d].custodian == "wangfang"
    assert crm.org.units(admin)[1].manager == "wangfang"
    assert crm.org.rules(admin)[0].manager == "wangfang"
    assert crm.clients.history(admin, a)[-1]["changes"] == {"owner": ["lina", "wangfang"]}
    with pytest.raises(PermissionDenied, match="deactivated"):
        crm.actor("lina")  # the leaver can do nothing afterwards
    event = crm.audit.log(admin, action="handover")[0]
    assert event.entity_id == "lina" and event.detail["to"] == "wangfang"
    assert crm.handover.get(admin, result.id).items == result.items


class FailingTasks:
    """A plugin whose part of the handover fails half-way (after the core moved clients)."""

    @staticmethod
    @hookimpl
    def crm_plugin_info():
        return PluginInfo(name="tasks")

    @staticmethod
    @hookimpl
    def crm_handover(tx, from_user, to_user, handover_id, record):
        record("task", None, "task 1")
        raise RuntimeError("task table is locked")


class MovingTasks:
    @staticmethod
    @hookimpl
    def crm_plugin_info():
        return PluginInfo(name="tasks")

    @staticmethod
    @hookimpl
    def crm_handover(tx, from_user, to_user, handover_id, record):
        record("task", None, f"2 open tasks of {from_user}")


def test_a_failure_half_way_moves_nothing(leaving, crm_url):
    crm, _ = leaving

    def owners() -> dict[str, int]:
        with crm.engine.connect() as conn:
            return dict(conn.execute(select(t.clients.c.code, t.clients.c.owner_id)).all())

    before, owned = row_counts(crm), owners()
    with (
        Crm.open(crm_url, extra_plugins={"tasks": FailingTasks}) as failing,
        pytest.raises(PluginError, match="plugin tasks: crm_handover failed: RuntimeError"),
    ):
        failing.handover.run(failing.actor("admin"), "lina", "wangfang", reason="离职")
    assert row_counts(crm) == before
    assert owners() == owned
    assert crm.actor("lina").login == "lina"  # still active
    with Crm.open(crm_url, extra_plugins={"tasks": MovingTasks}) as moving:
        done = moving.handover.run(moving.actor("admin"), "lina", "wangfang", reason="离职")
    assert ("task", "2 open tasks of lina") in [(i.role, i.detail) for i in done.items]


@pytest.mark.parametrize(
    ("args", "error", "says"),
    [
        (("lina", "ghost"), NotFound, "to: unknown user 'ghost'"),
        (("ghost", "wangfang"), NotFound, "from: unknown user 'ghost'"),
        (("lina", "lina"), InvalidInput, "someone else"),
        (("lina", "retired"), PermissionDenied, "to: user 'retired' is deactivated"),
    ],
)
def test_bad_handovers_change_nothing(leaving, admin, make_user, args, error, says):
    crm, _ = leaving
    make_user("retired")
    crm.handover.run(admin, "retired", "liuyang", reason="退休")
    before = row_counts(crm)
    with pytest.raises(error, match=says):
        crm.handover.run(admin, *args, reason="离职")
    assert row_counts(crm) == before


def test_only_someone_who_may_read_every_client_hands_them_over(leaving, admin, make_user):
    crm, _ = leaving
    make_user("director2", "director")
    crm.org.add_member(admin, "GD", "director2")
    with pytest.raises(PermissionDenied, match="may not read 2 of this user's clients"):
        crm.handover.run(crm.actor("director2"), "lina", "wangfang", reason="离职")
    with pytest.raises(PermissionDenied, match=r"handover\.run"):
        crm.handover.run(crm.actor("liuyang"), "lina", "wangfang", reason="离职")


def test_cli_prints_the_clients_to_notify(leaving, cli):
    crm, (a, b, c, d) = leaving
    out = cli("handover", "--from", "lina", "--to", "wangfang")
    assert out.exit_code == 0
    assert "Tell these 4 clients that wangfang now looks after them" in out.stdout
    assert all(code in out.stdout for code in (a, b, c, d)) and "lina is deactivated" in out.stdout
    again = cli("handover", "--from", "lina", "--to", "wangfang", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["clients_to_notify"] == []
    denied = cli("client", "list", user="lina")
    assert denied.exit_code == 6 and "deactivated" in denied.stderr
    with crm.engine.connect() as conn:
        assert conn.scalar(select(t.users.c.deactivated_at).where(t.users.c.login == "lina"))


def hand_over_tasks(tx, from_user, to_user, handover_id, record):
    """Stands in for the workflows' step: what a core step looks like."""
    record("task", None, f"open tasks of {from_user}")


def test_core_steps_join_the_same_transaction(leaving, admin, monkeypatch):
    from crmcore.services import handover

    crm, _ = leaving
    monkeypatch.setattr(handover, "CORE_STEPS", [f"{__name__}:hand_over_tasks"])
    done = crm.handover.run(admin, "lina", "wangfang", reason="离职")
    assert ("task", "open tasks of lina") in [(i.role, i.detail) for i in done.items]

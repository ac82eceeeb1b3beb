"""`crm demo`: a realistic database in one command, built once."""

from __future__ import annotations

import json

from stdnum.cn import uscc

from crmcore.testing import run_cli


def test_demo_fills_an_empty_database_once(cli):
    first = cli("demo")
    assert first.exit_code == 0, first.output
    clients = json.loads(cli("client", "list", "--json").stdout)
    assert len(clients) == 24
    assert all(uscc.is_valid(c["credit_code"]) for c in clients)
    owners = {c["owner"] for c in clients}
    assert owners == {"lina", "wangfang", "liuyang"}
    timeline = json.loads(cli("log", "list", clients[1]["code"], "--json").stdout)
    assert timeline and {e["author"] for e in timeline} == {clients[1]["owner"]}
    assert [e["occurred_at"] for e in timeline] == sorted(
        (e["occurred_at"] for e in timeline), reverse=True
    )
    again = cli("demo")
    assert again.exit_code == 0 and "already loaded" in again.stdout
    assert len(json.loads(cli("client", "list", "--json").stdout)) == 24


def test_demo_refuses_a_database_with_real_clients(cli):
    cli("client", "add", "--name", "真实客户")
    result = cli("demo")
    assert result.exit_code == 5
    assert "already has 1 clients" in result.stderr


def test_demo_initialises_a_new_sqlite_file(tmp_path):
    target = tmp_path / "fresh" / "crm.db"
    result = run_cli(["--db", str(target), "demo", "--clients", "3"])
    assert result.exit_code == 0, result.output
    assert f"initialised {target}" in result.stdout
    assert len(json.loads(run_cli(["--db", str(target), "client", "list", "--json"]).stdout)) == 3

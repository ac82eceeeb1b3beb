"""The `crm` CLI: every bad input gives one line naming the field and rule, a documented exit
code, no traceback, and nothing written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from crmcore import Crm
from crmcore.testing import VALID_CREDIT_CODES as VALID_USCC
from crmcore.testing import row_counts


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def counts(crm_url):
    def snapshot():
        with Crm.open(crm_url) as crm:
            return row_counts(crm)

    return snapshot


def test_client_add_show_list_search_edit_json(cli):
    assert (
        cli(
            "client",
            "add",
            "--name",
            "中国电信股份有限公司广州分公司",
            "--credit-code",
            VALID_USCC[1],
            "--capital",
            "1,234,567.50",
            "--region",
            "广东/广州",
            "--profile",
            "business_model=直销",
        ).exit_code
        == 0
    )
    shown = json.loads(cli("client", "show", "C000001", "--json").stdout)
    assert shown["client"]["registered_capital"] == "1234567.50"
    assert shown["client"]["profile"] == {"business_model": "直销"}
    assert [c["code"] for c in json.loads(cli("client", "search", "电信", "--json").stdout)] == [
        "C000001"
    ]
    assert cli("client", "edit", "C000001", "--phone", "020-88888888").exit_code == 0
    listed = json.loads(cli("client", "list", "--json").stdout)
    assert (listed[0]["phone"], listed[0]["version"]) == ("020-88888888", 2)
    table = cli("client", "list")
    assert table.exit_code == 0 and "中国电信股份有限公司广州分公司" in table.stdout


def test_contacts_logs_and_memos_through_the_cli(cli):
    cli("user", "add", "lina", "--name", "李娜")
    cli("client", "add", "--name", "甲公司", "--owner", "lina")  # lina may read what she owns
    assert (
        cli(
            "contact",
            "add",
            "C000001",
            "--name",
            "王经理",
            "--position",
            "采购部经理",
            "--phone",
            "13800138000",
        ).exit_code
        == 0
    )
    assert (
        json.loads(cli("contact", "list", "C000001", "--json").stdout)[0]["position"]
        == "采购部经理"
    )
    assert (
        cli(
            "log",
            "add",
            "C000001",
            "--channel",
            "visit",
            "--summary",
            "拜访采购部",
            "--at",
            "2026-11-20T10:00+08:00",
            "--next-action",
            "报价",
            "--due",
            "2026-11-27",
            user="lina",
        ).exit_code
        == 0
    )
    timeline = json.loads(cli("log", "list", "C000001", "--json").stdout)
    assert [(x["author"], x["next_action_due"]) for x in timeline] == [("lina", "2026-11-27")]
    assert (
        cli(
            "memo", "add", "C000001", "--title", "备忘录", "--body", "价格条款", "--signer", "lina"
        ).exit_code
        == 0
    )
    assert "all signed" in cli("memo", "sign", "1", user="lina").stdout
    assert json.loads(cli("memo", "show", "1", "--json").stdout)["complete"] is True


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (
            ["client", "add", "--name", "甲", "--credit-code", "91110000600037341X"],
            3,
            "error: credit_code: '91110000600037341X' is not a valid unified social credit code",
        ),
        (["client", "add", "--name", ""], 3, "error: name: must not be empty (CORE-REC-1)"),
        (
            ["client", "add", "--name", "长" * 201],
            3,
            "error: name: is 201 characters, at most 200 (CORE-REC-1)",
        ),
        (
            ["client", "add", "--name", "甲", "--capital", "12.345"],
            3,
            "error: registered_capital: has more than 2 decimal places",
        ),
        (
            ["client", "add", "--name", "甲", "--capital", "lots"],
            3,
            "error: registered_capital: 'lots' is not a decimal number",
        ),
        (
            ["client", "add", "--name", "甲", "--owner", "ghost"],
            4,
            "error: owner: unknown user 'ghost'",
        ),
        (["client", "show", "NOPE"], 4, "error: client: unknown client 'NOPE'"),
        (
            ["client", "edit", "NOPE", "--phone", "123456"],
            4,
            "error: client: unknown client 'NOPE'",
        ),
        (
            ["log", "add", "NOPE", "--channel", "visit", "--summary", "x"],
            4,
            "error: client: unknown client 'NOPE'",
        ),
        (
            ["log", "add", "C000001", "--channel", "visit", "--summary", "x", "--at", "yesterday"],
            3,
            "error: occurred_at: 'yesterday' is not a date-time",
        ),
        (
            [
                "log",
                "add",
                "C000001",
                "--channel",
                "visit",
                "--summary",
                "x",
                "--next-action",
                "y",
                "--due",
                "2026-02-30",
            ],
            3,
            "error: next_action_due: '2026-02-30' is not a date (YYYY-MM-DD)",
        ),
        (
            ["log", "add", "C000001", "--channel", "pigeon", "--summary", "x"],
            3,
            "error: channel: 'pigeon' is not one of",
        ),
        (
            ["user", "add", "lina", "--name", "李娜", "--role", "emperor"],
            3,
            "error: roles: unknown role 'emperor'",
        ),
        (["plugins", "enable", "nope"], 4, "error: plugin: unknown plugin 'nope'"),
        (["client", "list"], 4, "error: user: unknown user 'ghost'"),
    ],
)
def test_bad_input_one_line_exit_code_nothing_written(cli, counts, args, code, expected):
    cli("client", "add", "--name", "已有客户", "--credit-code", VALID_USCC[0])
    before = counts()
    result = cli(*args, user="ghost" if args == ["client", "list"] else None)
    assert one_line_error(result, code).startswith(expected)
    assert counts() == before


def test_duplicate_client_code_and_credit_code(cli, counts):
    cli("client", "add", "--name", "甲", "--code", "KA1", "--credit-code", VALID_USCC[0])
    before = counts()
    assert (
        one_line_error(cli("client", "add", "--name", "乙", "--code", "KA1"), 5)
        == "error: code: client code 'KA1' already exists"
    )
    assert "already registered for client KA1 (CORE-REC-1)" in one_line_error(
        cli("client", "add", "--name", "乙", "--credit-code", VALID_USCC[0]), 5
    )
    assert counts() == before


def test_uninitialised_database_is_exit_8_and_creates_no_file(tmp_path):
    from crmcore.testing import run_cli

    target = tmp_path / "none.db"
    result = run_cli(["--db", str(target), "client", "list"])
    assert result.exit_code == 8
    assert "run `crm init`" in result.stderr
    assert not target.exists()


def test_init_refuses_an_existing_database(cli):
    assert one_line_error(cli("init"), 5).endswith(
        "is already a crmcore database (use `crm db upgrade`)"
    )


def test_db_current_and_upgrade(cli):
    current = json.loads(cli("db", "current", "--json").stdout)
    assert current["crmcore"]["up_to_date"] is True
    assert json.loads(cli("db", "upgrade", "--json").stdout)["crmcore"]["up_to_date"] is True


def test_help_imports_neither_sqlalchemy_nor_plugins():
    probe = (
        "import sys\n"
        "from crmcore.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'rich', 'crmcore.app') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out
    assert "Exit codes:" in out

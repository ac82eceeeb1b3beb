"""The ``crm`` command line: parse, call a service, render. No business rule lives here.

Start-up is kept cheap (``crm --help`` imports neither SQLAlchemy nor any plugin): core
commands are imported when invoked, plugin command groups when their name is typed.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from crmcore.cli.context import CliApp

#: name -> (module:attribute, short help). Short help lives here so listing needs no import.
CORE_COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("crmcore.cli.admin:init", "Create a new database with its first admin."),
    "db": ("crmcore.cli.admin:db", "Schema migrations: upgrade, current."),
    "plugins": ("crmcore.cli.plugins:plugins", "Industry plugins: list, info, enable, disable."),
    "user": ("crmcore.cli.users:user", "Staff accounts and roles."),
    "client": ("crmcore.cli.clients:client", "Client records (客户档案)."),
    "contact": ("crmcore.cli.contacts:contact", "A client's key people."),
    "log": ("crmcore.cli.logs:log", "Contact logs (接触记录)."),
    "memo": ("crmcore.cli.logs:memo", "Negotiation memos and their signatures (谈判备忘录)."),
    "demo": ("crmcore.cli.demo:demo", "Build a demo database with realistic Chinese clients."),
    # issue 4: confidentiality, organisation, audit, keys, archives, handover, backup
    "access": ("crmcore.cli.access:access", "Confidentiality: levels, grants, field rules (保密)."),
    "org": ("crmcore.cli.org:org", "Organisation tree, assignment rules, coverage (组织机构)."),
    "archive": ("crmcore.cli.archives:archive", "Client archive documents by category (分类归档)."),
    "handover": (
        "crmcore.cli.handover:handover",
        "Hand a leaving user's clients to a successor (移交).",
    ),
    "audit": ("crmcore.cli.audit:audit", "Audit trail: log and verify (审计日志)."),
    "keys": ("crmcore.cli.keys:keys", "Keys for personal data and audit seals."),
    "backup": ("crmcore.cli.backup:backup", "Back up the SQLite database to a checked file."),
    "restore": ("crmcore.cli.backup:restore", "Restore the SQLite database from a backup."),
    "workflow": ("crmcore.cli.workflows:workflow", "Approval workflows (审批流程)."),
    "tasks": (
        "crmcore.cli.workflows:tasks",
        "What waits on you or on a role, overdue first (待办).",
    ),
    "sla": ("crmcore.cli.workflows:sla", "On-time rate per workflow and step over a period."),
    "obligations": (
        "crmcore.cli.obligations:obligations",
        "Recurring duties and their on-time record.",
    ),
    "report": (
        "crmcore.cli.obligations:report",
        "Period reports: client credit and sales (CORE-ARC-3).",
    ),
    "policy": (
        "crmcore.cli.policies:policy",
        "Policies: the numbers of the rules, dated and audited.",
    ),
    "calendar": (
        "crmcore.cli.calendar:calendar",
        "Working days: holidays and make-up days (工作日历).",
    ),
    "import": (
        "crmcore.cli.transfer:import_",
        "Bulk import clients, contacts, logs (CSV, JSONL, XLSX).",
    ),
    "export": ("crmcore.cli.transfer:export", "Export clients, contacts, logs (CSV, JSONL, XLSX)."),
}

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 invalid input, 4 not found, "
    "5 conflict, 6 permission denied, 7 plugin error, 8 database not initialised, "
    "9 audit trail failed verification."
)


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*CORE_COMMANDS, *sorted(_plugin_commands())]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in CORE_COMMANDS:
            module, attr = CORE_COMMANDS[cmd_name][0].split(":")
            return getattr(importlib.import_module(module), attr)
        if cmd_name in _plugin_commands():
            return _plugin_group(ctx, cmd_name)
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in CORE_COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        plugin_rows = sorted(_plugin_commands().items())
        if plugin_rows:
            with formatter.section("Plugin commands (when enabled in the database)"):
                formatter.write_dl(plugin_rows)


def _plugin_commands() -> dict[str, str]:
    from crmcore.plugins import installed

    result = {}
    for name, ep in installed().items():
        summary = ep.dist.metadata["Summary"] if ep.dist is not None else None
        result[name] = summary or f"Commands of the {name} plugin."
    return result


def _plugin_group(ctx: click.Context, name: str) -> click.Command:
    # click resolves the subcommand before running our group callback: take the options here.
    app: CliApp = ctx.ensure_object(CliApp)
    app.db_url = ctx.params.get("db_url")
    app.login = ctx.params.get("login") or app.login
    return app.plugin_group(name)


@click.group(
    cls=LazyGroup, epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--db",
    "db_url",
    envvar="CRM_DATABASE_URL",
    help="Database URL or SQLite file path [env CRM_DATABASE_URL; default ~/.local/share/crmcore/crm.db].",
)
@click.option(
    "--as",
    "login",
    envvar="CRM_USER",
    default="admin",
    show_default=True,
    help="Act as this user [env CRM_USER].",
)
@click.version_option(package_name="crmcore", prog_name="crm")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, login: str) -> None:
    """crmcore: key-account (大客户) CRM for Chinese companies."""
    app = ctx.ensure_object(CliApp)
    app.db_url = db_url
    app.login = login
    ctx.call_on_close(app.close)


def main(argv: list[str] | None = None) -> Any:
    """Entry point: known errors become one line and their exit code, never a traceback."""
    from crmcore.errors import CrmError

    try:
        return cli.main(args=argv, prog_name="crm", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except CrmError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        if os.environ.get("CRM_DEBUG"):
            raise
        click.echo(
            f"error: unexpected {type(exc).__name__}: {exc} (set CRM_DEBUG=1 for details)", err=True
        )
        sys.exit(1)

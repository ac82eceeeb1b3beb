"""What every command needs: the open Crm and the acting user, opened on first use.

Plugin command groups use this too (public API for plugin CLIs)::

    from crmcore.cli.context import current
    app = current()             # inside a click command
    client = app.crm.clients.get(app.actor, code)
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from crmcore.app import Crm
    from crmcore.security.actors import Actor


class CliApp:
    def __init__(self) -> None:
        self.db_url: str | None = None
        self.login: str = "admin"
        self._crm: Crm | None = None
        self._actor: Actor | None = None

    @property
    def crm(self) -> Crm:
        if self._crm is None:
            from crmcore.app import Crm

            self._crm = Crm.open(self.db_url)
        return self._crm

    @property
    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = self.crm.actor(self.login, door="cli")
        return self._actor

    def plugin_group(self, name: str) -> click.Command:
        from crmcore.errors import PluginError

        host = self.crm.host
        if name not in host.modules:
            reason = (
                host.failures.get(name)
                or f"not enabled in this database (crm plugins enable {name})"
            )
            raise PluginError(name, reason)
        group = host.single(name, "crm_cli_group")
        if group is None:
            raise PluginError(name, "has no commands")
        return group

    def close(self) -> None:
        if self._crm is not None:
            self._crm.close()


def current() -> CliApp:
    return click.get_current_context().ensure_object(CliApp)


def json_option(fn: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        fn
    )


def china_time(text: str, field: str, *, end_of_day: bool = False) -> Any:
    """An aware datetime from what an admin types: ``2026-12-31`` (a whole day in China time;
    its end with ``end_of_day``) or ``2026-12-31T18:00`` (China time unless an offset is given)."""
    from datetime import date, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from crmcore.errors import InvalidInput

    china = ZoneInfo("Asia/Shanghai")
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end_of_day else 0)
            return datetime.combine(day, time(), china)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a date (YYYY-MM-DD) or date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=china)


def parse_date(value: str | None, field: str) -> date | None:
    """A YYYY-MM-DD option, or an InvalidInput naming the option."""
    if value is None:
        return None
    from datetime import date as date_

    from crmcore.errors import InvalidInput

    try:
        return date_.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not a date (YYYY-MM-DD)") from None


def window(period: str | None, start: str | None, end: str | None) -> tuple[date, date]:
    """``--period 2026Q3`` or ``--from/--to`` (either defaults to the current quarter's edge)."""
    from crmcore.calendar import CHINA, Period, PeriodKind
    from crmcore.errors import InvalidInput

    if period and (start or end):
        raise InvalidInput("period", "give --period or --from/--to, not both")
    if period:
        chosen = Period.parse(period)
        return chosen.start, chosen.end
    from datetime import datetime

    quarter = Period.containing(datetime.now(CHINA).date(), PeriodKind.QUARTER)
    first = parse_date(start, "from") or quarter.start
    last = parse_date(end, "to") or quarter.end
    if last < first:
        raise InvalidInput("to", f"{last} is before {first}")
    return first, last


def pairs(items: tuple[str, ...], field: str) -> dict[str, str]:
    """KEY=VALUE arguments as a dict; a malformed one names ``field``."""
    from crmcore.errors import InvalidInput

    result = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(field, f"{item!r} is not KEY=VALUE")
        result[key.strip()] = value.strip()
    return result

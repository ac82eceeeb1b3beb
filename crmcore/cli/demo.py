"""``crm demo``: create (if needed) and fill a demo database."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current


@click.command()
@click.option("--seed", default=2026, show_default=True, help="Same seed, same demo.")
@click.option("--clients", default=24, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--no-plugins", is_flag=True, help="Do not enable the installed plugins.")
def demo(seed: int, clients: int, no_plugins: bool) -> None:
    """Build a demo database with realistic Chinese clients, contacts and logs.

    On a new database this initialises it, enables every installed plugin and loads the demo;
    run again, it only shows what is there.
    """
    from crmcore.services.demo import build

    app = current()
    result = build(app.db_url, login=app.login, seed=seed, clients=clients, plugins=not no_plugins)
    if result.initialised:
        render.done(f"initialised {result.database}")
    for name in result.enabled:
        render.done(f"enabled plugin {name}")
    if result.summary is None:
        render.done(f"the demo is already loaded in {result.database}")
    else:
        render.table(
            f"Demo loaded into {result.database}", ["what", "count"], result.summary.items()
        )
    render.done(
        "try:  crm client list  |  crm client search 电信  |  crm client show C000001  |  "
        "crm log list C000001  |  crm plugins list"
    )

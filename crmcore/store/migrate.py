"""Schema migrations: one Alembic history, one branch per owner.

The core owns the ``crmcore`` branch; each plugin owns a branch labelled with its name, kept
in its own versions directory, that ``depends_on`` the core revision it needs (Alembic's
"multiple bases"). All share one ``alembic_version`` table. Version locations of every
*installed* plugin are always given to Alembic, so a database that once ran a now-disabled
plugin still resolves its revisions; only enabled branches are upgraded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

CORE_BRANCH = "crmcore"
SCRIPT_LOCATION = Path(__file__).parent / "migrations"


def _config(conn: Connection | None, plugin_locations: Mapping[str, Path]) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    locations = [SCRIPT_LOCATION / "versions", *plugin_locations.values()]
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def upgrade(
    conn: Connection, branches: Iterable[str], plugin_locations: Mapping[str, Path]
) -> None:
    """Bring each named branch (``crmcore`` first, then plugins) to its head."""
    cfg = _config(conn, plugin_locations)
    for branch in branches:
        command.upgrade(cfg, f"{branch}@head")


def status(conn: Connection, plugin_locations: Mapping[str, Path]) -> dict[str, tuple[str, str]]:
    """Per branch: (revision applied in this database, head available in the code).

    A plugin branch ``depends_on`` a core revision, which makes the core's head an ancestor of
    the plugin's: Alembic's "heads" and the version table then name only the plugin's
    revision. So each branch is found by its label and walked along its own down-revisions,
    and a revision counts as applied when it is an ancestor (dependencies included) of what
    the version table holds.
    """
    script = ScriptDirectory.from_config(_config(conn, plugin_locations))
    applied: set[str] = set()
    for head in MigrationContext.configure(conn).get_current_heads():
        applied.update(r.revision for r in script.iterate_revisions(head, "base") if r)
    labels = sorted({label for rev in script.walk_revisions() for label in rev.branch_labels})
    result: dict[str, tuple[str, str]] = {}
    for label in sorted(labels, key=lambda name: name != CORE_BRANCH):
        head = script.get_revision(f"{label}@head")
        assert head is not None
        current, rev = "-", head
        while rev is not None:
            if rev.revision in applied:
                current = rev.revision
                break
            down = rev.down_revision
            rev = script.get_revision(down) if isinstance(down, str) else None
        result[label] = (current, head.revision)
    return result


def core_head() -> str:
    """The newest core revision (what a new plugin's first revision depends on)."""
    head = ScriptDirectory.from_config(_config(None, {})).get_current_head()
    assert head is not None
    return head

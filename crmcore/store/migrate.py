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
    """Per branch: (revision applied in this database, head available in the code)."""
    script = ScriptDirectory.from_config(_config(conn, plugin_locations))
    heads = MigrationContext.configure(conn).get_current_heads()
    # Everything those heads stand for, dependencies included (Alembic stores a core
    # revision that a plugin revision depends on only as the plugin's).
    applied = (
        {rev.revision for rev in script.iterate_revisions(heads, "base") if rev} if heads else set()
    )
    result: dict[str, tuple[str, str]] = {}
    # Heads of each branch by down_revision alone: a plugin branch that ``depends_on`` the
    # core head must not hide the core's head, nor count the core's revisions as its own.
    for head_id in script.revision_map.heads:
        head = script.get_revision(head_id)
        assert head is not None
        label = next(iter(sorted(head.branch_labels)), head.revision)
        current = next(
            (
                rev.revision
                for rev in script.iterate_revisions(head.revision, "base")
                if rev.revision in applied and (label in rev.branch_labels or label == rev.revision)
            ),
            "-",
        )
        result[label] = (current, head.revision)
    return result


def known_revisions(plugin_locations: Mapping[str, Path]) -> set[str]:
    """Every revision this code (core and the given plugins) knows, e.g. to vet a backup."""
    script = ScriptDirectory.from_config(_config(None, plugin_locations))
    return {rev.revision for rev in script.walk_revisions()}


def core_head() -> str:
    """The newest core revision (what a new plugin's first revision depends on)."""
    head = ScriptDirectory.from_config(_config(None, {})).get_current_head()
    assert head is not None
    return head

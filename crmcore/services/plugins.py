"""Which plugins this database runs: list, inspect, enable (with its migrations), disable."""

from __future__ import annotations

from pathlib import Path

import attrs
from attrs import frozen
from sqlalchemy import select

from crmcore import plugins as host_mod
from crmcore.app import Service, Tx, query, use_case
from crmcore.errors import Conflict, PluginError
from crmcore.store import tables as t


@frozen(kw_only=True)
class PluginStatus:
    name: str
    installed: bool
    enabled: bool
    loaded: bool
    version: str
    description: str
    requires: tuple[str, ...]
    error: str | None
    hooks: tuple[str, ...] = ()


class PluginService(Service):
    @query
    def list(self, tx: Tx) -> list[PluginStatus]:
        """Every plugin that is installed or enabled, with why it did not load if it didn't."""
        enabled = self._enabled(tx)
        installed = host_mod.installed()
        host = self.crm.host
        statuses = []
        for name in sorted(set(installed) | set(enabled) | set(host.modules)):
            ep = installed.get(name)
            info = host.infos.get(name)
            dist = ep.dist if ep is not None else None
            statuses.append(
                PluginStatus(
                    name=name,
                    installed=ep is not None or name in host.modules,
                    enabled=enabled.get(name, False),
                    loaded=name in host.modules,
                    version=info.version if info else (dist.version if dist else "?"),
                    description=info.description
                    if info
                    else (dist.metadata["Summary"] or "" if dist else ""),
                    requires=info.requires if info else (),
                    error=host.failures.get(name),
                )
            )
        return statuses

    @query
    def info(self, tx: Tx, name: str) -> PluginStatus:
        """One plugin's status plus the hooks it implements (imports it if needed)."""
        status = next((s for s in self.list(tx) if s.name == name), None)
        if status is None:
            host_mod.load_module(name)  # raises NotFound listing what is installed
            raise AssertionError("unreachable")
        module = self.crm.host.modules.get(name)
        if module is None and status.error is None:
            module = host_mod.load_module(name)
            info = host_mod.read_info(name, module)
            status = attrs.evolve(
                status, version=info.version, description=info.description, requires=info.requires
            )
        hooks = tuple(sorted(h for h in dir(module) if h.startswith("crm_"))) if module else ()
        return attrs.evolve(status, hooks=hooks)

    @use_case
    def enable(self, tx: Tx, name: str) -> PluginStatus:
        """Enable ``name`` for this database and run its migrations, in one transaction."""
        tx.actor.require("plugin.admin")
        module = host_mod.load_module(name)
        info = host_mod.read_info(name, module)
        enabled = self._enabled(tx)
        if enabled.get(name):
            raise Conflict(f"plugin {name} is already enabled")
        missing = [r for r in info.requires if not enabled.get(r)]
        if missing:
            raise Conflict(
                f"plugin {name} requires plugin {missing[0]}, which is not enabled: enable it first"
            )
        self._check_registrations(name, module, enabled)
        locations = installed_migration_locations()
        if name not in locations and getattr(module, "crm_migrations", None):
            raise PluginError(name, "its migrations could not be located")
        if name in locations:
            from crmcore.store import migrate

            migrate.upgrade(tx.conn, [name], locations)
        self._set(tx, name, True)
        tx.audit("plugin.enable", "plugin", name, detail={"version": info.version})
        return next(s for s in self.list(tx) if s.name == name)

    @use_case
    def enable_installed(self, tx: Tx) -> list[str]:
        """Enable every installed plugin that imports, requirements first (for ``crm demo``)."""
        enabled = self._enabled(tx)
        pending: dict[str, tuple[str, ...]] = {}
        for name in sorted(host_mod.installed()):
            if enabled.get(name):
                continue
            try:
                pending[name] = host_mod.read_info(name, host_mod.load_module(name)).requires
            except Exception:
                continue  # `crm plugins list` shows why
        done: list[str] = []
        while pending:
            ready = [
                n for n, reqs in pending.items() if all(enabled.get(r) or r in done for r in reqs)
            ]
            if not ready:
                break
            for name in ready:
                self.enable(tx, name)
                done.append(name)
                del pending[name]
        return done

    @use_case
    def disable(self, tx: Tx, name: str) -> PluginStatus:
        """Stop running ``name``; its tables and data stay."""
        tx.actor.require("plugin.admin")
        enabled = self._enabled(tx)
        if not enabled.get(name):
            if name not in host_mod.installed() and name not in enabled:
                host_mod.load_module(name)  # NotFound with the installed list
            raise Conflict(f"plugin {name} is not enabled")
        for other, on in enabled.items():
            if not on or other == name:
                continue
            info = self.crm.host.infos.get(other)
            if info is None:
                try:
                    info = host_mod.read_info(other, host_mod.load_module(other))
                except Exception:  # a broken plugin cannot depend on anything right now
                    continue
            if name in info.requires:
                raise Conflict(f"plugin {other} requires plugin {name}: disable {other} first")
        self._set(tx, name, False)
        tx.audit("plugin.disable", "plugin", name)
        return next(s for s in self.list(tx) if s.name == name)

    @query
    def doctor(self, tx: Tx) -> list[Diagnosis]:
        """Check every installed or enabled plugin: imports, hook API, hookimpls against the
        specs, deprecations, requirements, migrations applied, tables present."""
        from sqlalchemy import inspect

        from crmcore.store import migrate

        enabled = self._enabled(tx)
        installed = host_mod.installed()
        locations = installed_migration_locations()
        schema = migrate.status(tx.conn, locations)
        existing = set(inspect(tx.conn).get_table_names())
        report = []
        for name in sorted(set(installed) | {n for n, on in enabled.items() if on}):
            report.append(_diagnose(name, enabled, installed, schema, existing))
        return report

    def _check_registrations(self, name: str, module: object, enabled: dict[str, bool]) -> None:
        """Load ``name`` beside the running plugins and collect every registry (roles,
        policies, workflows, obligations) as the next start would: a plugin whose
        declarations are refused is not enabled, rather than failing every later start."""
        from crmcore.app import Crm

        probe = host_mod.PluginHost()
        probe.load([n for n, on in enabled.items() if on], {name: module})
        if name not in probe.modules:
            return  # a load problem: `crm plugins list` reports it, as for any plugin
        Crm(self.crm.engine, probe)  # raises a PluginError naming the plugin at fault

    def _enabled(self, tx: Tx) -> dict[str, bool]:
        return {
            r.name: r.enabled
            for r in tx.conn.execute(select(t.plugins.c.name, t.plugins.c.enabled))
        }

    def _set(self, tx: Tx, name: str, enabled: bool) -> None:
        p = t.plugins.c
        values = {"enabled": enabled, "changed_at": tx.now, "changed_by": tx.actor.login}
        if tx.conn.execute(t.plugins.update().where(p.name == name).values(**values)).rowcount == 0:
            tx.conn.execute(t.plugins.insert().values(name=name, **values))


@frozen
class Check:
    name: str
    ok: bool
    detail: str = ""


@frozen
class Diagnosis:
    plugin: str
    enabled: bool
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def _diagnose(
    name: str,
    enabled: dict[str, bool],
    installed: dict[str, object],
    schema: dict[str, tuple[str, str]],
    existing: set[str],
) -> Diagnosis:
    checks: list[Check] = []
    on = enabled.get(name, False)

    def done() -> Diagnosis:
        return Diagnosis(name, on, tuple(checks))

    if name not in installed:
        checks.append(Check("installed", False, "enabled in this database but not installed"))
        return done()
    try:
        module = host_mod.load_module(name)
        checks.append(Check("imports", True))
    except PluginError as exc:
        checks.append(Check("imports", False, exc.message.removeprefix(f"plugin {name}: ")))
        return done()
    try:
        info = host_mod.read_info(name, module)
        api = f"needs {info.requires_api}" if info.requires_api else "does not declare requires_api"
        checks.append(
            Check(
                "hook API", True, f"{api}; crmcore provides {host_mod.hookspecs.HOOK_API_VERSION}"
            )
        )
    except PluginError as exc:
        checks.append(Check("hook API", False, exc.message.removeprefix(f"plugin {name}: ")))
        return done()
    scratch = host_mod.PluginHost()
    scratch._register(name, module)
    if name in scratch.failures:
        checks.append(Check("hookimpls", False, scratch.failures[name]))
    else:
        hooks = sorted(c.name for c in scratch.pm.get_hookcallers(module) or [])
        checks.append(Check("hookimpls", True, f"{len(hooks)} hooks match their specs"))
    deprecated = scratch.warnings.get(name, [])
    checks.append(Check("deprecations", not deprecated, "; ".join(deprecated) or "none used"))
    missing = [r for r in info.requires if not enabled.get(r)]
    checks.append(
        Check(
            "requirements",
            not (on and missing),
            f"not enabled: {', '.join(missing)}"
            if missing
            else (", ".join(info.requires) or "none"),
        )
    )
    if on and name in schema:
        current, head = schema[name]
        checks.append(
            Check(
                "migrations",
                current == head,
                f"at {current}, newest {head}"
                + ("" if current == head else ": run `crm db upgrade`"),
            )
        )
    if on:
        tables = [t.name for t in (scratch.single(name, "crm_tables") or [])]
        absent = [t for t in tables if t not in existing]
        checks.append(
            Check(
                "tables",
                not absent,
                f"missing {', '.join(absent)}" if absent else f"{len(tables)} present",
            )
        )
    return done()


def installed_migration_locations() -> dict[str, Path]:
    """Migration directories of every installed plugin that imports.

    Alembic must know the revisions of disabled plugins too, or a database that once ran one
    could not be upgraded.
    """
    locations: dict[str, Path] = {}
    for name in host_mod.installed():
        try:
            module = host_mod.load_module(name)
        except Exception:
            continue
        fn = getattr(module, "crm_migrations", None)
        if fn is not None:
            try:
                locations[name] = Path(fn())
            except Exception:
                continue
    return locations

"""Finding, loading and calling plugins.

A plugin is *installed* when its distribution declares an entry point in the
``crmcore.plugins`` group, and *enabled* per database (table ``plugins``), because an
installation decides which industries it runs. Loading never takes the host down: each entry
point is imported and registered inside its own try; a failure is recorded with its error and
the plugin skipped. ``CRM_PLUGINS`` (comma-separated names, empty for none) restricts what
loads, as a rescue switch when a plugin breaks start-up.
"""

from __future__ import annotations

import difflib
import importlib.metadata as md
import os
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pluggy

from crmcore import hookspecs
from crmcore.domain.plugins import PluginInfo
from crmcore.errors import PluginError

ENTRY_POINT_GROUP = "crmcore.plugins"
ONLY_ENV = "CRM_PLUGINS"


def installed() -> dict[str, md.EntryPoint]:
    """Installed plugins by name, read from package metadata without importing them."""
    return {ep.name: ep for ep in md.entry_points(group=ENTRY_POINT_GROUP)}


def allowed_by_env() -> set[str] | None:
    """Names the rescue switch allows, or None when it is not set."""
    value = os.environ.get(ONLY_ENV)
    if value is None:
        return None
    return {n.strip() for n in value.split(",") if n.strip()}


class PluginHost:
    """The pluggy manager plus what we learned while loading."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.failures: dict[str, str] = {}
        self.infos: dict[str, PluginInfo] = {}
        self.modules: dict[str, object] = {}
        self.warnings: dict[str, list[str]] = {}

    # -- loading ------------------------------------------------------------------------------

    def load(self, names: Iterable[str], extra: Mapping[str, object] | None = None) -> None:
        """Import and register ``names`` (from entry points) and ``extra`` (objects, for tests).

        Registration follows dependency order; a plugin whose requirement did not load is
        skipped with that reason.
        """
        allowed = allowed_by_env()
        entry_points = installed()
        candidates: dict[str, object] = {}
        for name in names:
            if allowed is not None and name not in allowed:
                self.pm.set_blocked(name)  # before import: a broken module is never touched
                continue
            ep = entry_points.get(name)
            if ep is None:
                self.failures[name] = "enabled in this database but not installed"
                continue
            try:
                candidates[name] = ep.load()
            except BaseException as exc:
                self.failures[name] = _describe(exc)
        for name, obj in (extra or {}).items():
            if allowed is None or name in allowed:
                candidates[name] = obj
        for name in self._dependency_order(candidates):
            self._register(name, candidates[name])
        self.pm.check_pending()

    def _dependency_order(self, candidates: Mapping[str, object]) -> list[str]:
        infos: dict[str, PluginInfo] = {}
        for name, obj in candidates.items():
            try:
                infos[name] = read_info(name, obj)
            except PluginError as exc:
                self.failures[name] = exc.message.removeprefix(f"plugin {name}: ")
        ordered: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> bool:
            if name in ordered:
                return True
            if name in visiting:
                self.failures[name] = "circular plugin requirements"
                return False
            visiting.add(name)
            ok = True
            for req in infos[name].requires:
                if req not in infos or not visit(req):
                    self.failures.setdefault(name, f"requires plugin {req!r}, which is not loaded")
                    ok = False
            visiting.discard(name)
            if ok:
                ordered.append(name)
            return ok

        for name in sorted(infos):
            visit(name)
        self.infos.update({n: infos[n] for n in ordered})
        return ordered

    def _register(self, name: str, obj: object) -> None:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.pm.register(obj, name=name)
        except BaseException as exc:
            self.failures[name] = _describe(exc)
            self.infos.pop(name, None)
            return
        if caught:  # pluggy's warn_on_impl: the plugin uses a deprecated hook or argument
            self.warnings[name] = [str(w.message) for w in caught]
        unknown = [c.name for c in self.pm.get_hookcallers(obj) or [] if not c.has_spec()]
        wrappers = [
            impl.function.__name__
            for caller in self.pm.get_hookcallers(obj) or []
            for impl in caller.get_hookimpls()
            if impl.plugin is obj and (impl.hookwrapper or impl.wrapper)
        ]
        if unknown or wrappers:
            self.pm.unregister(obj)
            self.infos.pop(name, None)
            self.failures[name] = (
                "; ".join(_unknown_hook_message(h) for h in unknown)
                if unknown
                else f"hook wrappers are not supported on crmcore hooks: {', '.join(wrappers)}"
            )
            return
        self.modules[name] = obj

    # -- calling ------------------------------------------------------------------------------

    def call(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook``; results as (plugin name, result), non-None.

        Unlike a plain pluggy call this knows which plugin raised, so the error can name it.
        """
        results: list[tuple[str, Any]] = []
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            args = {a: kwargs[a] for a in impl.argnames}
            try:
                value = impl.function(**args)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(impl.plugin_name, f"{hook} failed: {_describe(exc)}") from exc
            if value is not None:
                results.append((impl.plugin_name, value))
        return results

    def collect(self, hook: str, register: Callable[..., None]) -> None:
        """Run a collection hook, telling ``register`` which plugin is registering."""
        caller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):

            def bound(*args: Any, _plugin: str = impl.plugin_name, **kw: Any) -> None:
                register(_plugin, *args, **kw)

            try:
                impl.function(register=bound)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(impl.plugin_name, f"{hook} failed: {_describe(exc)}") from exc

    def single(self, name: str, hook: str) -> Any:
        """One plugin's answer to a per-plugin hook such as ``crm_cli_group``."""
        obj = self.modules.get(name)
        fn = getattr(obj, hook, None)
        if fn is None:
            return None
        try:
            return fn()
        except Exception as exc:
            raise PluginError(name, f"{hook} failed: {_describe(exc)}") from exc

    @property
    def loaded(self) -> list[str]:
        return list(self.modules)

    def migration_locations(self) -> dict[str, Path]:
        return {
            name: Path(path)
            for name in self.modules
            if (path := self.single(name, "crm_migrations")) is not None
        }


def read_info(name: str, obj: object) -> PluginInfo:
    fn = getattr(obj, "crm_plugin_info", None)
    if fn is None:
        raise PluginError(name, "does not implement crm_plugin_info")
    try:
        info = fn()
    except Exception as exc:
        raise PluginError(name, f"crm_plugin_info failed: {_describe(exc)}") from exc
    if not isinstance(info, PluginInfo):
        raise PluginError(name, "crm_plugin_info must return crmcore.PluginInfo")
    if info.name != name:
        raise PluginError(
            name, f"crm_plugin_info names it {info.name!r}; the entry point says {name!r}"
        )
    check_api(info)
    return info


def check_api(info: PluginInfo) -> None:
    """Refuse a plugin written for a hook API this crmcore does not provide."""
    if info.requires_api is None:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        wanted = SpecifierSet(info.requires_api)
    except InvalidSpecifier:
        raise PluginError(
            info.name, f"requires_api {info.requires_api!r} is not a version specifier"
        ) from None
    if hookspecs.HOOK_API_VERSION not in wanted:
        raise PluginError(
            info.name,
            f"needs hook API {info.requires_api}, this crmcore provides {hookspecs.HOOK_API_VERSION}",
        )


def load_module(name: str) -> object:
    """Import one installed plugin (for enable, info and doctor), naming it on failure."""
    ep = installed().get(name)
    if ep is None:
        from crmcore.errors import NotFound

        known = ", ".join(sorted(installed())) or "none"
        raise NotFound(f"plugin: unknown plugin {name!r} (installed: {known})")
    try:
        return ep.load()
    except BaseException as exc:
        raise PluginError(name, f"cannot be imported: {_describe(exc)}") from None


def _unknown_hook_message(hook: str) -> str:
    known = [h for h in dir(hookspecs) if h.startswith("crm_")]
    guess = difflib.get_close_matches(hook, known, n=1)
    hint = f" (did you mean {guess[0]}?)" if guess else ""
    return f"unknown hook {hook!r}{hint}"


def _describe(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {exc}{place}"

"""``crm plugins new NAME``: a working plugin distribution to start from.

What it writes is the smallest plugin that exercises every part a real one has: an entry
point, hookimpls, a table with its own migration branch, a service, a CLI group, demo data
and passing tests on crmcore's test kit. docs/plugins.md walks through it.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from string import Template

from crmcore.errors import Conflict, InvalidInput

TEMPLATES = Path(__file__).parent / "template"
NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")


def new_plugin(name: str, directory: Path, *, core_revision: str) -> Path:
    """Write plugin ``name`` into ``directory/name``; returns that folder.

    ``core_revision`` is the core migration the plugin's first revision depends on (the
    current head, so its tables can reference every core table).
    """
    if not NAME.fullmatch(name) or keyword.iskeyword(name):
        raise InvalidInput(
            "name", f"{name!r} is not a plugin name (lower-case letters, digits, _; 2-31 chars)"
        )
    target = directory / name
    if target.exists():
        raise Conflict(f"{target} already exists")
    values = {
        "name": name,
        "package": f"crmcore_{name}",
        "title": name.replace("_", " ").title(),
        "core_revision": core_revision,
    }
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES).with_suffix("")
        path = target / Template(str(relative)).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8"
        )
    return target

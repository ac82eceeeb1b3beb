"""The hook reference (docs/hooks.md), generated from crmcore/hookspecs.py.

The docs can't drift from the code: tests/test_hook_reference.py fails when a hook lacks its
section or its documented signature differs from the spec. Regenerate after changing a hook:

    uv run python -m crmcore.hookdoc > docs/hooks.md
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

from crmcore import hookspecs

HEADER = """# Hook reference

Generated from `crmcore/hookspecs.py` by `python -m crmcore.hookdoc`; do not edit by hand.
Hook API version: **{version}** (declare what your plugin needs in
`PluginInfo(requires_api=">={major}.0,<{next_major}")`).

{intro}
"""


def hooks() -> Iterator[tuple[str, str, str]]:
    """(name, signature line, docstring) of every hook, in the order of the spec file."""
    for name, fn in vars(hookspecs).items():
        if name.startswith("crm_") and callable(fn):
            yield name, signature(name), inspect.getdoc(fn) or ""


def signature(name: str) -> str:
    """``def name(arg: Type, ...) -> Type`` as written in the spec (annotations are strings)."""
    sig = inspect.signature(getattr(hookspecs, name))
    args = ", ".join(f"{p.name}: {p.annotation}" for p in sig.parameters.values())
    return f"def {name}({args}) -> {sig.return_annotation}"


def render() -> str:
    major = int(hookspecs.HOOK_API_VERSION.split(".")[0])
    parts = [
        HEADER.format(
            version=hookspecs.HOOK_API_VERSION,
            major=major,
            next_major=major + 1,
            intro=inspect.getdoc(hookspecs) or "",
        )
    ]
    for name, sig, doc in hooks():
        parts.append(f"## {name}\n\n```python\n{sig}\n```\n\n{doc}\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")

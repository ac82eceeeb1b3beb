"""The plugin author's hook reference can't drift from the specs (as datasette does it)."""

from __future__ import annotations

import re
from pathlib import Path

from crmcore import hookdoc

DOC = Path(__file__).parent.parent / "docs" / "hooks.md"


def documented() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    return dict(re.findall(r"^## (crm_\w+)\n\n```python\n(.+?)\n```", text, flags=re.M | re.S))


def test_every_hook_has_a_section_with_its_exact_signature():
    sections = documented()
    for name, signature, doc in hookdoc.hooks():
        assert doc, f"hook {name} has no docstring in crmcore/hookspecs.py"
        assert name in sections, (
            f"docs/hooks.md lacks a section for {name}: run `python -m crmcore.hookdoc > docs/hooks.md`"
        )
        assert sections[name] == signature, (
            f"docs/hooks.md documents {name} as {sections[name]!r}, the spec says {signature!r}"
        )
    stale = set(sections) - {name for name, _, _ in hookdoc.hooks()}
    assert not stale, f"docs/hooks.md documents hooks that no longer exist: {sorted(stale)}"


def test_the_reference_is_exactly_what_the_generator_writes():
    assert DOC.read_text(encoding="utf-8") == hookdoc.render(), (
        "run `python -m crmcore.hookdoc > docs/hooks.md`"
    )

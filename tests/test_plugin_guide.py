"""docs/plugins.md can't drift: its worked example is built, installed and tested here.

`crm plugins new telecom` writes a plugin; it is installed in a fresh virtual environment and
its own tests must pass as generated. Then every code block of the guide is applied to it (a
``<!-- guide-file: PATH -->`` block is written to PATH, a ``<!-- guide-append: PATH -->``
block appended) and the tests, including the guide's, must pass again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from crmcore.testing import run_cli

REPO = Path(__file__).parent.parent
GUIDE = REPO / "docs" / "plugins.md"
BLOCK = re.compile(r"<!-- guide-(file|append): (\S+) -->\n```python\n(.*?)```", re.S)


def uv_command() -> list[str]:
    """uv as the README installs it (`python3 -m uv`), or on PATH."""
    if found := shutil.which("uv"):
        return [found]
    for python in ("python3", "python"):
        found = shutil.which(python)
        if (
            found
            and subprocess.run([found, "-m", "uv", "--version"], capture_output=True).returncode
            == 0
        ):
            return [found, "-m", "uv"]
    pytest.fail("uv is needed to install the scaffolded plugin (python3 -m pip install uv)")


def pytest_in(plugin: Path, python: str, env: dict[str, str]) -> str:
    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=plugin,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    return run.stdout


def test_guide_blocks_are_found():
    blocks = BLOCK.findall(GUIDE.read_text(encoding="utf-8"))
    assert {(mode, path) for mode, path, _ in blocks} >= {
        ("file", "crmcore_telecom/rules.py"),
        ("append", "crmcore_telecom/plugin.py"),
        ("file", "tests/test_guide.py"),
    }


def test_scaffold_then_guide_install_and_pass_their_tests(tmp_path):
    assert run_cli(["plugins", "new", "telecom", "--dir", str(tmp_path)]).exit_code == 0
    plugin = tmp_path / "telecom"
    uv = uv_command()
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    subprocess.run(
        [*uv, "venv", "-q", "-p", sys.executable, str(plugin / ".venv")], check=True, env=env
    )
    python = str(plugin / ".venv" / "bin" / "python")
    subprocess.run(
        [
            *uv,
            "pip",
            "install",
            "-q",
            "--python",
            python,
            "-e",
            str(REPO),
            "-e",
            str(plugin),
            "pytest",
            "psycopg[binary]",
        ],
        check=True,
        env=env,
    )
    generated = pytest_in(plugin, python, env)
    assert " passed" in generated

    for mode, path, code in BLOCK.findall(GUIDE.read_text(encoding="utf-8")):
        target = plugin / path
        if mode == "file":
            target.write_text(code, encoding="utf-8")
        else:
            target.write_text(target.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")
    guided = pytest_in(plugin, python, env)
    assert "test_guide.py" not in guided or " passed" in guided
    count = int(re.search(r"(\d+) passed", guided).group(1))
    assert count > int(re.search(r"(\d+) passed", generated).group(1))

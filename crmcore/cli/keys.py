"""``crm keys``: the key file for personal data and audit seals (CORE-CONF-5)."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def keys() -> None:
    """Encryption keys (outside the database): init, rotate, status."""


@keys.command()
def init() -> None:
    """Create the key file (CRM_KEY_FILE, default ~/.config/crmcore/keys.json)."""
    from crmcore.security import keys as keyfile
    from crmcore.settings import key_file_path

    path = key_file_path()
    keyfile.create(path)
    render.done(f"created {path} (mode 0600); back it up apart from the database")


@keys.command()
@click.option("--reencrypt", is_flag=True, help="Also move every stored value to the new key.")
@click.option("--seal-key", is_flag=True, help="Also start a new audit seal key.")
def rotate(reencrypt: bool, seal_key: bool) -> None:
    """Add a new active data key; older keys stay to read older values."""
    app = current()
    status = app.crm.personal.rotate(app.actor, reencrypt=reencrypt, seal_key=seal_key)
    older = sum(
        n for k, per in status.usage.items() if k != status.active_data_key for n in per.values()
    )
    render.done(
        f"active data key {status.active_data_key}, seal key {status.active_seal_key}; "
        f"{older} values still under older keys"
        + ("" if reencrypt else " (crm keys rotate --reencrypt moves them)")
    )


@keys.command()
@json_option
def status(as_json: bool) -> None:
    """Keys in the file and how many stored values each encrypts."""
    app = current()
    result = app.crm.personal.status(app.actor)
    if as_json:
        render.emit_json(result)
        return
    render.fields(
        f"Key file {result.path}",
        [
            ("active data key", result.active_data_key),
            ("data keys", result.data_keys),
            ("active seal key", result.active_seal_key),
            ("seal keys", result.seal_keys),
            ("values per key", {k: sum(v.values()) for k, v in result.usage.items()} or "none"),
        ],
    )

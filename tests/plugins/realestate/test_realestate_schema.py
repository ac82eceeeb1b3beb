"""The plugin loads cleanly; its Alembic branch builds exactly the tables the code declares."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crmcore.store import metadata
from crmcore.testing import check_plugin


def test_plugin_loads_and_its_migration_matches_the_tables(crm):
    check_plugin(crm, "realestate")
    with crm.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diff = [d for d in compare_metadata(context, metadata) if "realestate_" in repr(d)]
    assert diff == []


def test_buyer_list_imported_from_a_file_through_the_cli(crm, cli, tmp_path):
    """RE-LIST-1: name, id_number columns; a bad ID names its row; nothing written."""
    from realestate_kit import BUYERS, CLIENT, PROJECT, setup

    from crmcore.testing import row_counts

    setup(crm, buyers=False)
    good = tmp_path / "list.csv"
    good.write_text(
        "name,id_number\n" + "".join(f"{n},{i}\n" for n, i in BUYERS[:3]), encoding="utf-8"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"name,id_number\n{BUYERS[0][0]},{BUYERS[0][1]}\n某人,110105198001010071\n",
        encoding="utf-8",
    )
    before = row_counts(crm)
    out = cli("realestate", "buyers", "import", PROJECT, CLIENT, str(bad), user="sales")
    assert out.exit_code == 3 and "row 3" in out.output and "RE-LIST-1" in out.output
    assert "110105198001010071" not in out.output  # no echo of an ID number
    assert row_counts(crm) == before
    out = cli("realestate", "buyers", "import", PROJECT, CLIENT, str(good), user="sales")
    assert out.exit_code == 0 and "3 buyers, 0 flagged" in out.stdout
    shown = cli("realestate", "buyers", "show", "MD0001", user="sales").stdout
    assert BUYERS[0][1] not in shown and BUYERS[0][0] in shown


def test_only_audit_legal_reveals_a_buyers_id_with_a_reason(re, cli):
    """RE-LIST-1, CORE-CONF-5: checking against proof of employment may need the number in
    clear: audit/legal may reveal it, with a reason, and the reveal is audited."""
    from realestate_kit import BUYERS

    from crmcore import PermissionDenied

    crm = re.crm
    buyer = re.buyer_list(crm.actor("sales"), "MD0001").buyers[0]
    with pytest.raises(PermissionDenied):
        re.reveal_buyer_id(crm.actor("lawyer"), "MD0001", buyer.id, "核对在职证明")
    assert (
        re.reveal_buyer_id(crm.actor("legal"), "MD0001", buyer.id, "核对在职证明") == BUYERS[0][1]
    )
    out = cli(
        "realestate", "buyers", "reveal", "MD0001", str(buyer.id), "--reason", "核对", user="legal"
    )
    assert out.exit_code == 0 and BUYERS[0][1] in out.stdout
    with crm.engine.connect() as conn:
        reveals = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_events WHERE action = 'personal.reveal'"
        ).scalar()
    assert reveals == 2

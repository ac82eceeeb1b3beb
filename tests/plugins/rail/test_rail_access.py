"""The rail plugin under the core's access model (CORE-CONF-2/5): who may sign and revoke
(access.may_act), freight and the client's signer masked for readers without the permission or
clearance, the certificate and the approved volume form filed in the client's archive
(CORE-ARC-1), and a race on one record ending in a clean Conflict."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from crmcore_rail_freight.domain.operations import Loading
from crmcore_rail_freight.services import rail
from rail_kit import TOTAL, Kit, figures, sign

from crmcore import Conflict, Crm, NewUser, PermissionDenied
from crmcore.testing import row_counts, run_cli

D = Decimal


def outsider(kit: Kit, login: str, role: str, **more) -> str:  # type: ignore[no-untyped-def]
    """A user with ``role`` in no unit of the company: no relationship to any client."""
    kit.crm.users.add(kit.actor("admin"), NewUser(login=login, name=login, roles=(role,), **more))
    return login


# -- who may act: access.may_act ---------------------------------------------------------------


def test_core_conf_2_a_ministry_official_who_may_not_read_the_client_may_not_revoke_or_sign(
    kit, crm
):
    """Holding rail_ministry is not enough: the official must also be able to read the
    client (a unit, a relationship or a grant), as for every workflow step."""
    number = kit.certify()
    kit.at(2026, 12, 10)
    kit.rail.volumes.file(kit.actor("am"), "KA1", 2027, figures(), sign())
    kit.at(2026, 12, 20)
    kit.rail.volumes.agree(kit.actor("bureau"), "KA1", 2027, sign("李四"))
    official = outsider(kit, "ministry_x", "rail_ministry")
    before = row_counts(crm)
    with pytest.raises(PermissionDenied, match="ministry_x may not read client KA1") as err:
        kit.rail.certificates.revoke(kit.actor(official), number, "违反章程")
    assert err.value.rule == "CORE-CONF-2"
    with pytest.raises(PermissionDenied, match="may not read client KA1"):
        kit.rail.volumes.approve(kit.actor(official), "KA1", 2027, sign("王五"))
    assert row_counts(crm) == before
    # a role without the capacity is refused naming the role, whatever it may read
    with pytest.raises(PermissionDenied, match="revoking a certificate is for rail_ministry"):
        kit.rail.certificates.revoke(kit.actor("bureau"), number, "违反章程")
    # a grant to read the client (查阅权限) is what was missing
    crm.access.grant(kit.actor("admin"), "KA1", user=official, reason="铁道部审定 (RAIL-VOL-1)")
    kit.at(2026, 12, 31)
    approved = kit.rail.volumes.approve(kit.actor(official), "KA1", 2027, sign("王五"))
    assert approved.effective
    revoked = kit.rail.certificates.revoke(kit.actor(official), number, "违反章程")
    assert revoked.status == "revoked"


# -- masking: access.present with the plugin's sensitive fields ----------------------------


@pytest.fixture
def loaded(kit: Kit) -> Kit:
    """KA1 with an approved 2026 volume, monthly plans, January loaded (with freight) and
    settled."""
    kit.approve_volume(2026)
    kit.rail.operations.make_plans(kit.actor("am"), "KA1", 2026)
    kit.at(2026, 4, 2)
    january = Loading(
        month="2026-01", origin="DTV", destination="QTP", tonnage=D("60000"), freight=D("6750000")
    )
    kit.rail.operations.import_loadings(kit.actor("bureau"), "KA1", [january])
    kit.rail.operations.settle(kit.actor("fin"), "KA1", "2026-01", D("6750000"), "JS-01")
    return kit


def test_rail_ops_1_freight_is_masked_for_a_reader_without_rail_freight_read(loaded, cli):
    """Tonnages are everyone's work; freight billed and settled needs rail.freight.read."""
    ops = loaded.rail.operations
    shown = ops.fulfilment(loaded.actor("reader"), "KA1", 2026)
    jan = shown.rows[0]
    assert (jan.actual, jan.freight, jan.settled) == (D("60000"), None, None)
    assert jan.masked == ("freight", "settled")
    assert (shown.total.freight, shown.total.masked) == (None, ("freight", "settled"))
    full = ops.fulfilment(loaded.actor("fin"), "KA1", 2026)
    assert (full.rows[0].freight, full.rows[0].settled, full.rows[0].masked) == (
        D("6750000.00"),
        D("6750000.00"),
        (),
    )
    (settlement,) = ops.settlements(loaded.actor("am"), "KA1", 2026)
    assert (settlement.amount, settlement.masked) == (None, ("amount",))
    # every door: the table for people and --json
    table = cli("rail", "report", "KA1", "--year", "2026", "--no-chart", user="reader")
    assert table.exit_code == 0, table.output
    assert "(masked)" in table.stdout and "6750000" not in table.stdout
    data = json.loads(cli("rail", "report", "KA1", "--year", "2026", "--json", user="am").stdout)
    assert data["rows"][0]["freight"] is None
    assert data["rows"][0]["masked"] == ["freight", "settled"]
    listed = cli("rail", "settlement", "list", "KA1", "--year", "2026", user="am")
    assert "(masked)" in listed.stdout and "6750000" not in listed.stdout
    # the disclosure to finance is on the look-up record; the values never are
    events = loaded.crm.audit.log(loaded.actor("admin"), client="KA1", action="rail.fulfilment")
    assert any("rail.fulfilment_row.freight" in e.detail.get("unmasked", ()) for e in events)
    assert all("6750000" not in json.dumps(e.detail, default=str) for e in events)


def test_core_conf_2_who_may_not_read_freight_may_not_write_it(loaded, crm):
    """An account manager imports loadings without the freight column."""
    before = row_counts(crm)
    row = Loading(
        month="2026-02", origin="DTV", destination="QTP", tonnage=D("1"), freight=D("112.50")
    )
    with pytest.raises(PermissionDenied, match=r"am may not write rail\.loading\.freight"):
        loaded.rail.operations.import_loadings(loaded.actor("am"), "KA1", [row])
    assert row_counts(crm) == before
    without = Loading(month="2026-02", origin="DTV", destination="QTP", tonnage=D("1"))
    loaded.rail.operations.import_loadings(loaded.actor("am"), "KA1", [without])


def test_core_conf_5_the_clients_signer_is_masked_below_confidential(kit, crm):
    """The client's signer is a person's name; the bureau and ministry sign for an office."""
    kit.approve_volume(2027)
    admin = kit.actor("admin")
    crm.access.set_level(admin, "KA1", "internal")
    clerk = outsider(kit, "clerk", "read_only", clearance="internal")
    crm.org.add_member(admin, "TYJ", clerk)
    form = kit.rail.volumes.show(kit.actor(clerk), "KA1", 2027)
    client, bureau, ministry = form.stages
    assert (client.signer, client.masked) == (None, ("signer",))
    assert (bureau.signer, ministry.signer) == ("李四", "王五")
    assert kit.rail.volumes.show(kit.actor("reader"), "KA1", 2027).stages[0].signer == "张三"


# -- the client's archive (CORE-ARC-1) ---------------------------------------------------------


def test_rail_qual_2_and_vol_1_certificate_and_approved_form_are_filed_in_the_archive(kit, crm):
    number = kit.certify()
    kit.approve_volume(2027)
    admin = kit.actor("admin")
    docs = {d.category: d for d in crm.archives.list(admin, "KA1")}
    assert set(docs) == {"rail_certificate", "rail_volume"}
    certificate = kit.rail.certificates.get(admin, number)
    assert certificate.document == docs["rail_certificate"].id
    _, text = crm.archives.content(admin, certificate.document)
    assert f"证书编号 Number: {number}" in text.decode("utf-8")
    form = kit.rail.volumes.show(admin, "KA1", 2027)
    assert form.document == docs["rail_volume"].id
    _, text = crm.archives.content(admin, form.document)
    assert f"年运量 Total: {TOTAL}." in text.decode("utf-8")
    assert "签字 ministry: 王五" in text.decode("utf-8")
    categories = {c.code for c in crm.archives.categories(admin)}
    assert {"rail_certificate", "rail_volume"} <= categories


# -- a race on one record ----------------------------------------------------------------------


def test_rail_ops_1_the_same_settlement_recorded_twice_at_once_is_a_clean_conflict(
    loaded, crm, crm_url, crm_backend
):
    """On PostgreSQL the second transaction passes the check before the first commits; its
    insert then meets the unique reference: a Conflict (exit 5), not an IntegrityError."""
    ops = loaded.rail.operations
    outcome: list[BaseException | str] = []

    def second() -> None:
        with Crm.open(crm_url) as other:
            other.clock = loaded.crm.clock
            try:
                rail(other).operations.settle(
                    other.actor("fin"), "KA1", "2026-01", D("100.00"), "JS-RACE"
                )
                outcome.append("recorded")
            except BaseException as exc:  # the test reports whatever it was
                outcome.append(exc)

    with crm.transaction(loaded.actor("fin")) as tx:
        ops.settle(tx, "KA1", "2026-01", D("100.00"), "JS-RACE")
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(1.0)  # the second one checks, then waits on the index (or the lock)
    thread.join(timeout=60)
    (lost,) = outcome
    assert isinstance(lost, Conflict), repr(lost)
    assert lost.exit_code == 5 and lost.rule == "RAIL-OPS-1"
    if crm_backend == "postgresql":
        assert "JS-RACE of KA1 was recorded meanwhile" in str(lost)
    assert [s.reference for s in ops.settlements(loaded.actor("fin"), "KA1", 2026)] == [
        "JS-01",
        "JS-RACE",
    ]


def test_rail_ops_1_the_same_settlement_entered_twice_at_once_through_the_cli(
    loaded, crm, crm_url, crm_backend
):
    """The race as a user meets it: the second `crm rail settlement add` with the same
    reference, started while the first is still open, ends with exit 5 and one line citing
    RAIL-OPS-1; no traceback, one settlement recorded."""
    ops = loaded.rail.operations
    results = []
    argv = [
        "--db", crm_url, "--as", "fin", "rail", "settlement", "add", "KA1",
        "--month", "2026-01", "--amount", "100.00", "--reference", "JS-RACE", "--on", "2026-04-02",
    ]  # fmt: skip
    with crm.transaction(loaded.actor("fin")) as tx:
        ops.settle(tx, "KA1", "2026-01", D("100.00"), "JS-RACE")
        thread = threading.Thread(target=lambda: results.append(run_cli(argv)))
        thread.start()
        time.sleep(1.0)  # the CLI's transaction checks, then waits on the index (or the lock)
    thread.join(timeout=60)
    (second,) = results
    assert second.exit_code == 5, second
    assert second.stderr.startswith("error: ") and second.stderr.endswith(" (RAIL-OPS-1)\n")
    assert second.stderr.count("\n") == 1 and "Traceback" not in second.stderr
    if crm_backend == "postgresql":  # SQLite waits on the lock, then its check refuses
        assert "JS-RACE of KA1 was recorded meanwhile" in second.stderr
    assert [s.reference for s in ops.settlements(loaded.actor("fin"), "KA1", 2026)] == [
        "JS-01",
        "JS-RACE",
    ]

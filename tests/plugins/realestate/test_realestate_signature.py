"""RE-TICKET-1: the buyer's signature. With software the desk keeps only the copy the buyer
signed (「留存客户签字联即可」, rules-audit "Document copies"): who recorded it and when, and
optionally a scan in the commissioning unit's archive. No voucher (RE-PAY-1) without it."""

from __future__ import annotations

import pytest
from realestate_kit import CLIENT, PROJECT, sign, ticket

from crmcore import Conflict, PermissionDenied
from crmcore.testing import row_counts

PDF = b"%PDF-1.4\n% signed copy\n"


def _paid_and_checked(re, unit="1-0101"):
    crm = re.crm
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket(unit))
    re.check_ticket(crm.actor("checker"), t.number)
    re.pay(crm.actor("sales"), t.number, t.due)
    return t


def test_no_voucher_before_the_buyers_signed_copy_is_held(re):
    """RE-TICKET-1 / RE-PAY-1: checked and paid in full, the voucher waits; signing issues it."""
    crm = re.crm
    t = _paid_and_checked(re)
    view = re.ticket(crm.actor("sales"), t.number)
    assert view.paid == view.due and view.checked_by and view.voucher is None
    assert view.signed_by is None
    signed = re.sign_ticket(crm.actor("sales2"), t.number)
    assert signed.voucher == "PZ00000001"
    assert signed.signed_by == "sales2" and signed.signed_at == crm.clock()
    assert signed.signed_copy is None


def test_a_ticket_is_signed_once_and_only_with_the_narrow_permission(re):
    """RE-TICKET-1: signing is narrow (like ticket entry), recorded once, never edited."""
    crm = re.crm
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    for login in ("checker", "fin", "retail"):
        with pytest.raises(PermissionDenied):
            re.sign_ticket(crm.actor(login), t.number)
    sign(re, t.number)
    with pytest.raises(Conflict, match="RE-TICKET-1"):
        sign(re, t.number, "sales2")
    with crm.engine.connect() as conn:
        actions = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_events WHERE action = 'realestate.ticket.sign'"
        ).scalar()
    assert actions == 1


def test_a_reversed_tickets_new_ticket_is_signed_anew(re):
    """RE-TICKET-1, RE-TICKET-3: the new ticket after a change of unit has no signature of its
    own until the buyer signs it; the reversed one cannot be signed."""
    crm = re.crm
    sales = crm.actor("sales")
    old = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))
    sign(re, old.number)
    new = re.reverse(sales, old.number, "unit_change", "客户联", new_unit="1-0201")
    assert new.signed_by is None and re.ticket(sales, old.number).signed_by == "sales"
    with pytest.raises(Conflict, match="RE-TICKET-3"):
        re.sign_ticket(sales, old.number)
    assert re.sign_ticket(sales, new.number).signed_by == "sales"


def test_the_scan_is_filed_in_the_commissioning_units_archive(re, cli, tmp_path):
    """RE-TICKET-1: `ticket sign NUMBER --scan FILE` files the scan in the client's archive
    (category realestate) and names it on the ticket."""
    crm = re.crm
    t = _paid_and_checked(re)
    scan = tmp_path / "signed.pdf"
    scan.write_bytes(PDF)
    out = cli("realestate", "ticket", "sign", t.number, "--scan", str(scan), user="sales")
    assert out.exit_code == 0 and "voucher PZ00000001" in out.stdout, out.output
    view = re.ticket(crm.actor("sales"), t.number)
    assert view.signed_copy is not None
    docs = crm.archives.list(crm.actor("admin"), CLIENT)
    [doc] = [x for x in docs if x.id == view.signed_copy]
    assert doc.category == "realestate" and t.number in doc.title
    shown = cli("realestate", "ticket", "show", t.number, user="sales").stdout
    assert "held, recorded by sales" in shown and f"scan document {view.signed_copy}" in shown
    shown = cli("realestate", "ticket", "show", t.number, "--json", user="sales").stdout
    assert '"signed_by": "sales"' in shown and f'"signed_copy": {view.signed_copy}' in shown


def test_a_bad_scan_is_refused_through_the_cli_and_nothing_is_written(re, cli, tmp_path):
    """RE-TICKET-1 through the CLI: an empty or disguised scan is refused naming the field
    (exit 3), a second signature is a conflict (exit 5); nothing is written either time."""
    crm = re.crm
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    empty, fake = tmp_path / "empty.pdf", tmp_path / "fake.pdf"
    empty.write_bytes(b"")
    fake.write_bytes(b"MZ\x90\x00 not a pdf")
    before = row_counts(crm)
    for bad in (empty, fake):
        out = cli("realestate", "ticket", "sign", t.number, "--scan", str(bad), user="sales")
        assert out.exit_code == 3 and "scan" in out.output and "CORE-ARC-1" in out.output
        assert "Traceback" not in out.output and row_counts(crm) == before
    assert cli("realestate", "ticket", "sign", t.number, user="sales").exit_code == 0
    before = row_counts(crm)
    out = cli("realestate", "ticket", "sign", t.number, user="sales2")
    assert out.exit_code == 5 and "RE-TICKET-1" in out.output and "signed already" in out.output
    assert row_counts(crm) == before


def test_handing_in_the_receipts_needs_the_signed_copy_through_the_cli(re, cli):
    """RE-TICKET-1: the receipts handed in (RE-PAY-1's other trigger) would issue the voucher,
    so without the buyer's signed copy they are refused: exit 5 citing RE-TICKET-1, nothing
    written."""
    crm = re.crm
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    re.check_ticket(crm.actor("checker"), t.number)
    before = row_counts(crm)
    out = cli("realestate", "handed-in", t.number, "--papers", "收据 3 张", user="checker")
    assert out.exit_code == 5 and "RE-TICKET-1" in out.output and "signed copy" in out.output
    assert row_counts(crm) == before

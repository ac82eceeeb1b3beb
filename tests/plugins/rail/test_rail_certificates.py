"""RAIL-QUAL-2: application, bureau verification, ministry approval, certificate; renewal
and revocation. The approval is a workflow of the core engine (rail.certificate)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied, Vetoed
from crmcore.testing import row_counts


def test_rail_qual_2_bureau_verifies_then_ministry_approves_and_a_certificate_is_issued(kit):
    kit.at(2026, 3, 2)
    kit.qualify()
    started = kit.rail.certificates.apply(kit.actor("am"), "KA1", comment="申请表已交")
    assert (started.workflow, started.state) == ("rail.certificate", "verification:rail_bureau")
    assert started.waiting_for == ("rail_bureau",)
    # the ministry cannot go first, nor an admin in the bureau's name
    for login in ("ministry", "admin"):
        with pytest.raises(PermissionDenied, match="is for rail_bureau") as err:
            kit.rail.certificates.approve(kit.actor(login), "KA1")
        assert err.value.rule == "RAIL-QUAL-2"
    moved = kit.rail.certificates.approve(kit.actor("bureau"), "KA1", comment="核实无误")
    assert moved.state == "verification:rail_ministry"
    with pytest.raises(PermissionDenied):
        kit.rail.certificates.approve(kit.actor("bureau2"), "KA1")
    kit.at(2026, 3, 9)
    done = kit.rail.certificates.approve(kit.actor("ministry"), "KA1")
    assert (done.state, done.closed) == ("certified", True)
    shown = kit.rail.certificates.show(kit.actor("reader"), "KA1")
    assert shown.in_force == "RAIL-2026-00001"
    (cert,) = shown.certificates
    assert (cert.status, cert.valid_from, cert.valid_until) == (
        "in_force",
        date(2026, 3, 9),
        date(2029, 3, 8),  # three years (RAIL-QUAL-2 policy, an assumption)
    )
    assert (cert.party, cert.station, cert.application) == ("shipper", "DTV", done.id)
    history = kit.crm.workflows.history(kit.actor("admin"), done.id)
    assert [(e.action, e.actor) for e in history] == [
        ("start", "am"),
        ("approve", "bureau"),
        ("approve", "ministry"),
    ]


def test_rail_qual_2_a_client_that_does_not_qualify_cannot_apply(kit, crm):
    kit.qualify(annual_tonnage=D("999999"))
    before = row_counts(crm)
    with pytest.raises(Conflict, match="does not meet RAIL-QUAL-1: annual_volume: 2025: 999,999 t"):
        kit.rail.certificates.apply(kit.actor("am"), "KA1")
    assert row_counts(crm) == before
    with pytest.raises(NotFound, match="nothing recorded for client KA2"):
        kit.rail.certificates.apply(kit.actor("am"), "KA2")


def test_rail_qual_2_the_bureau_cannot_approve_once_the_client_no_longer_qualifies(kit, crm):
    kit.qualify()
    kit.rail.certificates.apply(kit.actor("am"), "KA1")
    kit.qualify(station="WAR")  # newer facts: its station is not on FMOS
    before = row_counts(crm)
    with pytest.raises(Vetoed, match="does not meet RAIL-QUAL-1 now: station_fmos"):
        kit.rail.certificates.approve(kit.actor("bureau"), "KA1")
    assert row_counts(crm) == before
    refused = kit.rail.certificates.reject(kit.actor("bureau"), "KA1", "车站未联网")
    assert (refused.state, refused.closed) == ("refused", True)
    assert kit.rail.certificates.show(kit.actor("reader"), "KA1").certificates == ()


def test_rail_qual_2_one_open_application_and_one_certificate_at_a_time(kit):
    kit.qualify()
    kit.rail.certificates.apply(kit.actor("am"), "KA1")
    with pytest.raises(Conflict, match="has an open application"):
        kit.rail.certificates.apply(kit.actor("am"), "KA1")
    kit.rail.certificates.approve(kit.actor("bureau"), "KA1")
    kit.rail.certificates.approve(kit.actor("ministry"), "KA1")
    with pytest.raises(Conflict, match=r"already holds certificate RAIL-2026-00001.*renew it"):
        kit.rail.certificates.apply(kit.actor("am"), "KA1")
    with pytest.raises(NotFound, match="no open application"):
        kit.rail.certificates.approve(kit.actor("bureau"), "KA1")


def test_rail_qual_2_renewal_supersedes_the_old_certificate_the_day_the_new_one_is_issued(kit):
    kit.at(2026, 3, 2)
    old = kit.certify()
    kit.at(2029, 2, 1)
    started = kit.rail.certificates.renew(kit.actor("am"), old)
    assert started.data == {"qualification_id": 1, "renews": old}
    kit.rail.certificates.approve(kit.actor("bureau"), "KA1")
    kit.rail.certificates.approve(kit.actor("ministry"), "KA1")
    shown = kit.rail.certificates.show(kit.actor("reader"), "KA1")
    new, before = shown.certificates
    assert (new.number, new.status, new.renews) == ("RAIL-2029-00001", "in_force", old)
    assert (new.valid_from, new.valid_until) == (date(2029, 2, 1), date(2032, 1, 31))
    assert (before.number, before.status, before.end_reason) == (
        old,
        "superseded",
        "renewed by RAIL-2029-00001",
    )
    with pytest.raises(Conflict, match="is superseded; it cannot be renewed"):
        kit.rail.certificates.renew(kit.actor("am"), old)


def test_rail_qual_2_an_expired_certificate_can_be_renewed(kit):
    kit.at(2026, 3, 2)
    old = kit.certify()
    kit.at(2029, 3, 9)  # the day after it ends
    assert kit.rail.certificates.get(kit.actor("reader"), old).status == "expired"
    kit.rail.certificates.apply(kit.actor("am"), "KA1")  # a new application is fine too
    kit.rail.certificates.approve(kit.actor("bureau"), "KA1")
    kit.rail.certificates.approve(kit.actor("ministry"), "KA1")
    statuses = {c.number: c.status for c in kit.rail.certificates.list(kit.actor("reader"))}
    assert statuses == {old: "expired", "RAIL-2029-00001": "in_force"}


def test_rail_qual_2_revocation_by_the_ministry_with_a_reason(kit, crm):
    number = kit.certify()
    with pytest.raises(PermissionDenied, match="revoking a certificate is for rail_ministry"):
        kit.rail.certificates.revoke(kit.actor("admin"), number, "违规")
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="reason: a revocation needs a reason"):
        kit.rail.certificates.revoke(kit.actor("ministry"), number, " ")
    assert row_counts(crm) == before
    ended = kit.rail.certificates.revoke(kit.actor("ministry"), number, "不服从统一指挥")
    assert (ended.status, ended.ended_by, ended.end_reason) == (
        "revoked",
        "ministry",
        "不服从统一指挥",
    )
    with pytest.raises(Conflict, match="is already revoked"):
        kit.rail.certificates.revoke(kit.actor("ministry"), number, "again")
    with pytest.raises(Conflict, match="is revoked; it cannot be renewed"):
        kit.rail.certificates.renew(kit.actor("am"), number)
    # a revoked client may apply afresh
    assert kit.rail.certificates.apply(kit.actor("am"), "KA1").state.startswith("verification")


def test_rail_qual_2_certificate_numbers_follow_the_policy(kit):
    kit.at(2026, 5, 1)
    kit.crm.policies.set(
        kit.actor("admin"), "RAIL-QUAL-2", {"number_prefix": "TLDKH", "validity_years": "1"}
    )
    number = kit.certify()
    cert = kit.rail.certificates.get(kit.actor("reader"), number)
    assert (cert.number, cert.valid_until) == ("TLDKH-2026-00001", date(2027, 4, 30))
    with pytest.raises(InvalidInput, match="number_prefix"):
        kit.crm.policies.set(kit.actor("admin"), "RAIL-QUAL-2", {"number_prefix": "证书"})


def test_rail_qual_2_through_the_cli(kit, cli):
    kit.qualify()
    result = cli("rail", "cert", "apply", "KA1", user="am")
    assert result.exit_code == 0, result.output
    assert "waiting for rail_bureau" in result.stdout
    wrong = cli("rail", "cert", "approve", "KA1", user="ministry")
    assert wrong.exit_code == 6
    assert "is for rail_bureau" in wrong.stderr
    assert (
        "waiting for rail_ministry" in cli("rail", "cert", "approve", "KA1", user="bureau").stdout
    )
    issued = cli("rail", "cert", "approve", "KA1", user="ministry")
    assert "certificate RAIL-" in issued.stdout
    data = json.loads(cli("rail", "cert", "show", "KA1", "--json", user="reader").stdout)
    number = data["in_force"]
    assert data["certificates"][0]["status"] == "in_force"
    assert data["applications"][0]["state"] == "certified"
    listed = json.loads(cli("rail", "cert", "list", "--status", "in_force", "--json").stdout)
    assert [c["number"] for c in listed] == [number]
    refused = cli("rail", "cert", "revoke", number, "--reason", "违规", user="bureau")
    assert refused.exit_code == 6
    assert cli("rail", "cert", "revoke", number, "--reason", "违规", user="ministry").exit_code == 0
    gone = cli("rail", "cert", "renew", number, user="am")
    assert gone.exit_code == 5
    assert (
        gone.stderr.strip()
        == f"error: certificate {number} is revoked; it cannot be renewed (RAIL-QUAL-2)"
    )

"""The quote and the signed contract go into the client's archive (客户档案, CORE-ARC-1).

The quote as the client was given it is filed on the notice in the plugin's category
``power`` (PWR-FEE-1), and each extension files a new version stating the new validity
(PWR-PLAN-1) while the earlier one stays readable; a signed copy of the supply contract
(PWR-ACC-2) is filed under the core's ``contracts``, titled without its number.
"""

from __future__ import annotations

from datetime import date

import pytest
from crmcore_utility_power.domain import NewContract, NewExtension
from power_kit import CLIENT, apply, drive, freeze

from crmcore import InvalidInput
from crmcore.testing import row_counts


def test_the_notice_files_the_quote_and_an_extension_a_new_version(crm, power, cli):
    spec = crm.actor("spec")
    view = drive(power, apply(power, voltage="0.4kV").number, "notified")
    assert view.validity is not None and view.validity.quote_document is not None
    doc_id = view.validity.quote_document
    docs = crm.archives.list(spec, CLIENT, category="power")
    assert [(d.id, d.title, d.dated) for d in docs] == [
        (doc_id, f"供电方案答复单 {view.number}-F1 ({view.number})", date(2026, 3, 2))
    ]
    _, filed = crm.archives.content(spec, doc_id)
    assert filed.decode() == power.quote(spec, view.number).text
    assert "有效至 2026-06-02" in filed.decode()
    assert "power" in {c.code for c in crm.archives.categories(spec)}

    freeze(crm, date(2026, 5, 20))
    power.extend(spec, view.number, NewExtension(reason="设备到货延迟"))
    doc = crm.archives.get(spec, doc_id)
    assert doc.version == 2 and "2026-09-02" in (doc.versions[-1].note or "")
    assert "有效至 2026-09-02" in crm.archives.content(spec, doc_id)[1].decode()
    assert "有效至 2026-06-02" in crm.archives.content(spec, doc_id, version=1)[1].decode()
    shown = cli("power", "status", view.number, user="spec").stdout
    assert f"quote filed as archive document {doc_id}" in shown


def test_a_signed_copy_of_the_contract_is_filed_under_contracts(crm, power, cli, tmp_path):
    number = drive(power, apply(power).number, "passed").number
    scan = tmp_path / "供用电合同.pdf"
    scan.write_bytes(b"%PDF-1.7 signed copy")
    result = cli(
        "power", "contract", number, "--number", "GYD-2026-0815", "--file", str(scan), user="spec"
    )
    assert result.exit_code == 0, result.output
    contract = power.status(crm.actor("spec"), number).contract
    assert contract is not None and contract["document"] is not None
    doc = crm.archives.get(crm.actor("spec"), contract["document"])
    assert (doc.category, doc.title) == ("contracts", f"供用电合同 ({number})")
    assert crm.archives.content(crm.actor("spec"), doc.id)[1] == b"%PDF-1.7 signed copy"


def test_a_copy_of_a_forbidden_type_is_refused_and_no_contract_recorded(crm, power, cli, tmp_path):
    """CORE-ARC-1 checks the file; the contract (PWR-ACC-2) is not recorded without its copy,
    through the Python API and the CLI alike."""
    number = drive(power, apply(power).number, "passed").number
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="not an allowed type"):
        power.contract(
            crm.actor("spec"),
            number,
            NewContract(number="GYD-1", filename="setup.exe", content=b"MZ\x90\x00"),
        )
    assert row_counts(crm) == before
    # the same through the CLI: one line naming the field and the rule, exit code 3
    copy = tmp_path / "setup.exe"
    copy.write_bytes(b"MZ\x90\x00")
    result = cli("power", "contract", number, "--number", "GYD-1", "--file", str(copy), user="spec")
    assert result.exit_code == 3
    assert result.stderr.startswith("error: file: .exe is not an allowed type (")
    assert result.stderr.endswith(" (CORE-ARC-1)\n") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert row_counts(crm) == before
    assert power.status(crm.actor("spec"), number).contract is None
    with pytest.raises(InvalidInput, match="needs both its file name and content") as err:
        NewContract(number="GYD-1", filename="scan.pdf")
    assert err.value.rule == "PWR-ACC-2"


def test_a_revision_sent_back_stays_with_the_application_not_in_the_clients_archive(
    crm, power, cli
):
    """PWR-APP-1 / PWR-FEE-1 / CORE-ARC-1: the archive holds the quote the client was given
    (at the notice). A revision sent back in countersigning (会签) was never given to the
    client, so it is not filed; it stays on the application, readable by revision."""
    spec = crm.actor("spec")
    number = drive(power, apply(power).number, "countersign").number
    power.sign(crm.actor("safe"), number, reject="未明确继电保护配置")
    view = drive(power, number, "notified")
    assert [p.revision for p in view.plans] == [1, 2]
    docs = crm.archives.list(spec, CLIENT, category="power")
    assert [d.title for d in docs] == [f"供电方案答复单 {number}-F2 ({number})"]
    first = cli("power", "quote", number, "--revision", "1", user="spec")
    assert first.exit_code == 0 and f"{number}-F1" in first.stdout
    timeline = cli("power", "timeline", number, user="spec").stdout
    assert "会签退回" in timeline and "未明确继电保护配置" in timeline

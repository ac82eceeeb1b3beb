"""Client records: rules CORE-REC-1/2, CORE-OWN-1; nothing deleted, every edit versioned."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmcore import ClientStatus, Conflict, InvalidInput, NewClient, NotFound, PermissionDenied
from crmcore.testing import VALID_CREDIT_CODES as VALID_USCC
from crmcore.testing import row_counts


def test_add_generates_sequential_codes_and_keeps_money_exact(crm, admin):
    first = crm.clients.add(
        admin,
        NewClient(name="广州恒达电子科技有限公司", registered_capital=Decimal("12345678901.23")),
    )
    second = crm.clients.add(admin, NewClient(name="深圳华强实业股份有限公司"))
    assert (first.code, second.code) == ("C000001", "C000002")
    again = crm.clients.get(admin, first.code)
    assert again.registered_capital == Decimal("12345678901.23")
    assert again.owner == "admin"  # the creator owns the client unless told otherwise (CORE-OWN-1)


def test_generated_code_skips_a_code_taken_by_hand(crm, admin):
    crm.clients.add(admin, NewClient(name="甲", code="C000001"))
    assert crm.clients.add(admin, NewClient(name="乙")).code == "C000002"


@pytest.mark.parametrize(
    ("values", "field", "rule"),
    [
        ({"name": "x", "credit_code": "91110000600037341X"}, "credit_code", "CORE-REC-1"),
        ({"name": "x", "credit_code": "12345"}, "credit_code", "CORE-REC-1"),
        ({"name": "   "}, "name", "CORE-REC-1"),
        ({"name": "中" * 201}, "name", "CORE-REC-1"),
        ({"name": "x", "postcode": "51000"}, "postcode", "CORE-REC-1"),
        ({"name": "x", "registered_capital": Decimal("-1")}, "registered_capital", "CORE-REC-1"),
        ({"name": "x", "registered_capital": Decimal("1.001")}, "registered_capital", "CORE-REC-1"),
        ({"name": "x", "code": "bad code!"}, "code", None),
    ],
)
def test_bad_values_name_the_field_and_rule(values, field, rule):
    with pytest.raises(InvalidInput) as err:
        NewClient(**values)
    assert err.value.field == field
    assert err.value.rule == rule


def test_credit_code_is_normalised_to_upper_case():
    assert (
        NewClient(name="x", credit_code=" 91110000600037341l ").credit_code == "91110000600037341L"
    )


def test_a_credit_code_typed_with_spaces_or_hyphens_is_stored_compact(crm, admin):
    """CORE-REC-1: python-stdnum accepts ``91110000 600037341L``; it is stored as the 18
    characters, so it fits its column on PostgreSQL and a later add of the plain code is a
    duplicate."""
    added = crm.clients.add(admin, NewClient(name="甲公司", credit_code="91110000 6000-37341l"))
    assert added.credit_code == VALID_USCC[0]
    with pytest.raises(Conflict):
        crm.clients.add(admin, NewClient(name="乙公司", credit_code=VALID_USCC[0]))


def test_duplicate_code_and_credit_code_are_refused_and_nothing_is_written(crm, admin):
    crm.clients.add(admin, NewClient(name="甲公司", code="KA-1", credit_code=VALID_USCC[0]))
    before = row_counts(crm)
    with pytest.raises(Conflict, match="code: client code 'KA-1' already exists"):
        crm.clients.add(admin, NewClient(name="乙公司", code="KA-1"))
    with pytest.raises(Conflict, match="already registered for client KA-1") as err:
        crm.clients.add(admin, NewClient(name="乙公司", credit_code=VALID_USCC[0]))
    assert err.value.rule == "CORE-REC-1"
    assert row_counts(crm) == before


def test_unknown_owner_is_refused(crm, admin):
    with pytest.raises(NotFound, match="owner: unknown user 'nobody'"):
        crm.clients.add(admin, NewClient(name="甲公司", owner="nobody"))


def test_edit_versions_the_record_and_keeps_old_values(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司", phone="020-1111111"))
    edited = crm.clients.edit(
        admin, c.code, {"phone": "020-2222222", "registered_capital": "500.10"}
    )
    assert edited.version == 2
    assert edited.registered_capital == Decimal("500.10")
    history = crm.clients.history(admin, c.code)
    assert [h["action"] for h in history] == ["create", "edit"]
    assert history[1]["changes"]["phone"] == ["020-1111111", "020-2222222"]
    assert history[1]["by"] == "admin"


def test_edit_with_no_change_keeps_the_version(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司", phone="020-1111111"))
    assert crm.clients.edit(admin, c.code, {"phone": "020-1111111"}).version == 1


def test_edit_refuses_unknown_fields_bad_values_and_stale_versions(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    before = row_counts(crm)
    with pytest.raises(InvalidInput) as err:
        crm.clients.edit(admin, c.code, {"colour": "red"})
    assert err.value.field == "colour"
    with pytest.raises(InvalidInput) as err:
        crm.clients.edit(admin, c.code, {"credit_code": "9111"})
    assert err.value.field == "credit_code"
    with pytest.raises(InvalidInput) as err:
        crm.clients.edit(admin, c.code, {"code": "NEW"})
    assert err.value.field == "code"
    with pytest.raises(Conflict, match="changed meanwhile"):
        crm.clients.edit(admin, c.code, {"phone": "123456"}, expected_version=7)
    assert row_counts(crm) == before


def test_archive_needs_a_reason_blocks_edits_and_restores(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    with pytest.raises(InvalidInput, match="reason"):
        crm.clients.archive(admin, c.code, " ")
    archived = crm.clients.archive(admin, c.code, "合作终止")
    assert archived.status == ClientStatus.ARCHIVED
    assert archived.archived_reason == "合作终止"
    assert crm.clients.list(admin) == []
    assert [x.code for x in crm.clients.list(admin, include_archived=True)] == [c.code]
    with pytest.raises(Conflict, match="archived"):
        crm.clients.edit(admin, c.code, {"phone": "123456"})
    restored = crm.clients.restore(admin, c.code)
    assert restored.status == ClientStatus.ACTIVE
    assert [h["action"] for h in crm.clients.history(admin, c.code)] == [
        "create",
        "archive",
        "restore",
    ]


def test_owner_and_co_contacts(crm, admin, make_user):
    make_user("lina")
    make_user("wangfang")
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="lina"))
    assert c.owner == "lina"
    with_co = crm.clients.add_co_contact(admin, c.code, "wangfang")
    assert with_co.co_contacts == ("wangfang",)
    with pytest.raises(Conflict, match="already a co-contact"):
        crm.clients.add_co_contact(admin, c.code, "wangfang")
    with pytest.raises(Conflict, match="already owns"):
        crm.clients.add_co_contact(admin, c.code, "lina")
    assert crm.clients.assign(admin, c.code, "wangfang").owner == "wangfang"
    assert crm.clients.remove_co_contact(admin, c.code, "wangfang").co_contacts == ()
    assert [h["action"] for h in crm.clients.history(admin, c.code)] == ["create", "assign"]


def test_views_name_each_clients_own_co_contacts_in_the_order_they_joined(crm, admin, make_user):
    """CORE-OWN-1: search, list and get show every client's co-contacts, none of another's."""
    for login in ("zhao", "qian", "an"):
        make_user(login)
    first = crm.clients.add(admin, NewClient(name="联系人甲公司", owner="qian")).code
    second = crm.clients.add(admin, NewClient(name="联系人乙公司")).code
    crm.clients.add_co_contact(admin, first, "zhao")
    crm.clients.add_co_contact(admin, first, "an")  # joined last, listed last (not by name)
    crm.clients.add_co_contact(admin, second, "qian")
    expected = {first: ("zhao", "an"), second: ("qian",)}
    found = {c.code: c.co_contacts for c in crm.clients.search(admin, "联系人")}
    listed = {c.code: c.co_contacts for c in crm.clients.list(admin)}
    assert found == listed == expected
    assert crm.clients.get(admin, first).owner == "qian"


def test_list_filters_by_owner_region_prefix_and_industry(crm, admin, make_user):
    make_user("lina")
    crm.clients.add(
        admin, NewClient(name="广州甲", region="广东/广州", industry="制造业", owner="lina")
    )
    crm.clients.add(admin, NewClient(name="深圳乙", region="广东/深圳", industry="房地产业"))
    crm.clients.add(admin, NewClient(name="北京丙", region="北京/北京", industry="制造业"))
    names = lambda cs: sorted(c.name for c in cs)  # noqa: E731
    assert names(crm.clients.list(admin, region="广东")) == ["广州甲", "深圳乙"]
    assert names(crm.clients.list(admin, industry="制造业")) == ["北京丙", "广州甲"]
    assert names(crm.clients.list(admin, owner="lina")) == ["广州甲"]


def test_search_finds_short_chinese_substrings_and_codes(crm, admin):
    crm.clients.add(
        admin,
        NewClient(name="中国电信股份有限公司广州分公司", code="TEL", credit_code=VALID_USCC[1]),
    )
    crm.clients.add(admin, NewClient(name="广州恒达电子科技有限公司"))
    assert [c.code for c in crm.clients.search(admin, "电信")] == ["TEL"]
    assert {c.code for c in crm.clients.search(admin, "广州")} == {"TEL", "C000001"}
    assert [c.code for c in crm.clients.search(admin, "tel")] == ["TEL"]
    assert [c.code for c in crm.clients.search(admin, VALID_USCC[1])] == ["TEL"]
    assert crm.clients.search(admin, "100%") == []


def test_read_only_user_cannot_write(crm, admin, make_user):
    viewer = make_user("guest", "read_only")
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    crm.access.grant(admin, c.code, user="guest", reason="查阅")  # CORE-CONF-2: 查阅权限
    assert crm.clients.get(viewer, c.code).name == "甲公司"
    with pytest.raises(PermissionDenied):
        crm.clients.add(viewer, NewClient(name="乙公司"))
    with pytest.raises(PermissionDenied):
        crm.clients.edit(viewer, c.code, {"phone": "123456"})

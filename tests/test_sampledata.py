"""crmcore.sampledata: valid identifiers, unique names, consistent places, reproducible output."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice

import pytest
from stdnum.cn import ric, uscc

from crmcore.sampledata import (
    CITIES,
    FREE_MAIL_DOMAINS,
    INDUSTRIES,
    SampleData,
    org_check_char,
)

COMPANY_KEYS = {
    "name", "credit_code", "legal_rep", "address", "postcode", "phone", "fax", "business_scope",
    "registered_capital", "region", "industry", "size", "profile",
}  # fmt: skip
CITY_BY_REGION = {c.region: c for c in CITIES}
START, END = date(2025, 1, 1), date(2025, 12, 31)


@pytest.fixture(scope="module")
def companies() -> list[dict]:
    return list(SampleData(11).companies(20_000))


def test_company_records_have_exactly_the_agreed_keys(companies):
    for c in companies:
        assert set(c) == COMPANY_KEYS
        assert 6 <= len(c["name"]) <= 40
        assert c["size"] in {"large", "medium", "small", "micro"}
        assert c["industry"] in INDUSTRIES
        assert set(c["profile"]) <= {
            "sales_capacity", "development_potential", "business_model", "industry_standing",
        }  # fmt: skip
        assert all(isinstance(v, str) and v for v in c["profile"].values())
        assert c["business_scope"].endswith(("。", "）"))
        assert 2 <= len(c["legal_rep"]) <= 3


def test_credit_codes_are_valid_and_follow_gb_32100(companies):
    for c in companies:
        code = c["credit_code"]
        assert uscc.is_valid(code), code
        assert code[:2] == "91"
        assert org_check_char(code[8:16]) == code[16], code  # GB 11714 inside GB 32100


def test_org_check_char_matches_published_codes():
    # 北京 (stdnum's example), 腾讯 (Tencent Shenzhen), 华为 (Huawei Shenzhen)
    for code in ("91110000600037341L", "9144030071526726XG", "914403001922038216"):
        assert org_check_char(code[8:16]) == code[16]


def test_place_details_agree_with_the_region(companies):
    for c in companies:
        city = CITY_BY_REGION[c["region"]]
        assert c["credit_code"][2:8] in {d.code for d in city.districts}
        district = next(d for d in city.districts if d.code == c["credit_code"][2:8])
        where = city.province_full if city.municipality else f"{city.province_full}{city.name}市"
        assert c["address"].startswith(where)
        if city.name != "东莞":  # its 街道/镇 all share one code
            assert c["address"][len(where) :].startswith(district.name)
        assert re.fullmatch(r"\d{6}", c["postcode"])
        assert c["postcode"].startswith(city.postcode_prefix)
        for number in (c["phone"], c["fax"]):
            if number is None:
                continue
            assert re.fullmatch(rf"{city.area_code}-[2-8]\d{{7}}|1[3-9]\d{{9}}", number), number
        assert c["fax"] is None or c["fax"].startswith(city.area_code + "-")


def test_registered_capital_is_exact_cny(companies):
    for c in companies:
        capital = c["registered_capital"]
        assert isinstance(capital, Decimal) and capital.as_tuple().exponent == -2
        assert Decimal("1000000") <= capital <= Decimal("10000000000")
    sizes = {c["size"] for c in companies}
    assert sizes == {"large", "medium", "small", "micro"}


def test_some_names_are_state_owned_style(companies):
    soe = [c["name"] for c in companies if c["name"].startswith(("中国", "国网", "交通银行"))]
    assert len(soe) > 100
    assert any("支行" in n for n in soe) and any("分公司" in n for n in soe)


def test_200k_names_and_credit_codes_are_unique():
    rows = list(SampleData(5).companies(200_000))
    assert len({c["name"] for c in rows}) == len(rows)
    assert len({c["credit_code"] for c in rows}) == len(rows)


def test_uniqueness_spans_calls():
    sample = SampleData(5)
    first = [c["name"] for c in sample.companies(3000)]
    second = [c["name"] for c in sample.companies(3000)]
    assert not set(first) & set(second)


def test_place_names_are_not_prefixes_of_each_other():
    # Names are place + two-character 字号 + word + form; this keeps the split unambiguous.
    places = {c.name for c in CITIES} | {c.province for c in CITIES}
    for a in places:
        for b in places - {a}:
            assert not b.startswith(a)


def test_same_seed_same_data_other_seed_other_data():
    def draw(seed: int) -> tuple:
        s = SampleData(seed)
        comps = list(s.companies(300))
        return (
            comps,
            s.contacts(5, comps[0]),
            s.contact_logs(50, START, END),
            [s.id_number() for _ in range(20)],
            s.buyers(10),
            [s.person_name() for _ in range(20)],
        )

    assert draw(42) == draw(42)
    assert draw(42)[0] != draw(43)[0]


def test_streams_are_independent():
    a = SampleData(9)
    b = SampleData(9)
    b.contact_logs(100, START, END)
    b.buyers(10)
    assert list(a.companies(200)) == list(b.companies(200))


@pytest.mark.parametrize("years", [(1960, 2000), (1930, 1982), (1984, 2010), (1999, 1999)])
def test_id_numbers_are_valid(years):
    sample = SampleData(3)
    for _ in range(3000):
        number = sample.id_number(years)
        assert ric.is_valid(number), number
        assert years[0] <= ric.get_birth_date(number).year <= years[1]


def test_id_number_rejects_bad_ranges():
    with pytest.raises(ValueError):
        SampleData().id_number((2000, 1990))


def test_buyers_have_valid_ids_matching_the_sex_of_the_name():
    female_chars = set("芳娜敏静丽艳娟霞秀玲桂英红燕萍婷雪慧琳洁颖倩")
    male_chars = set("伟强磊军勇杰涛斌超刚辉鹏飞鑫波宇浩凯健俊帆旭龙峰亮博振雄彬兵力")
    for b in SampleData(4).buyers(3000):
        assert set(b) == {"name", "id_number", "department"}
        assert ric.is_valid(b["id_number"])
        odd = int(b["id_number"][16]) % 2 == 1  # odd: male
        given = set(b["name"][1:])
        if given <= female_chars:
            assert not odd, b
        if given <= male_chars:
            assert odd, b


def test_person_names_look_chinese():
    sample = SampleData(8)
    names = [sample.person_name() for _ in range(20_000)]
    assert all(2 <= len(n) <= 3 and re.fullmatch(r"[\u4e00-\u9fff]+", n) for n in names)
    surnames = [n[0] for n in names]
    assert surnames.count("王") > surnames.count("何") > surnames.count("汤")


def test_contacts_use_the_company_domain_and_distinct_senior_posts():
    sample = SampleData(6)
    for company in islice(sample.companies(500), 0, 500, 25):
        people = sample.contacts(8, company)
        domain = sample.email_domain(company["name"])
        assert re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}(\.cn)?", domain), domain
        locals_ = [p["email"].split("@")[0] for p in people]
        assert len(set(locals_)) == len(locals_)
        for p in people:
            assert set(p) == {"name", "position", "phone", "email", "notes", "profile"}
            assert p["email"].endswith("@" + domain)
            assert re.fullmatch(r"[a-z][a-z0-9.]*@[a-z0-9.-]+", p["email"]), p["email"]
            assert re.fullmatch(r"1[3-9]\d{9}", p["phone"])
            assert isinstance(p["notes"], str)
            assert {"age", "education"} <= set(p["profile"]) <= {
                "character", "interests", "education", "age", "background", "family",
            }  # fmt: skip
        posts = [p["position"] for p in people]
        for unique in ("董事长", "总经理", "财务总监"):
            assert posts.count(unique) <= 1


def test_email_domain_only_needs_the_name():
    sample = SampleData()
    assert sample.email_domain("中国工商银行股份有限公司广州天河支行") == "icbc.com.cn"
    assert sample.email_domain("广州水务集团有限公司") == "guangzhouwater.com.cn"
    assert sample.email_domain("广州恒达电子科技有限公司") in {
        "hengda-elec.com.cn", "gzhengda.com", "hengdaelec.cn",
    }  # fmt: skip
    assert sample.email_domain("某某公司").endswith(".com.cn")
    for person in sample.contacts(20):
        assert person["email"].split("@")[1] in FREE_MAIL_DOMAINS


def test_contact_logs_fall_on_working_hours_with_due_dates_after():
    logs = SampleData(2).contact_logs(20_000, START, END)
    channels = {log["channel"] for log in logs}
    assert channels == {"visit", "phone", "letter", "fax", "email", "meeting"}
    for log in logs:
        at: datetime = log["occurred_at"]
        assert str(at.tzinfo) == "Asia/Shanghai" and at.utcoffset().total_seconds() == 8 * 3600
        assert START <= at.date() <= END and at.weekday() < 5
        assert time(8, 30) <= at.time() < time(18, 0)
        assert 0 <= len(log["participants"]) <= 3
        assert len(set(log["participants"])) == len(log["participants"])
        assert log["summary"] and "{" not in log["summary"]
        if log["next_action"] is None:
            assert log["next_action_due"] is None
        else:
            assert isinstance(log["next_action_due"], date)
            assert log["next_action_due"] > at.date()
    by_channel = Counter(log["channel"] for log in logs)
    assert by_channel["phone"] > by_channel["visit"] > by_channel["meeting"] > by_channel["fax"]


def test_contact_logs_handle_short_and_weekend_ranges():
    sample = SampleData(2)
    saturday = date(2025, 3, 1)
    logs = sample.contact_logs(20, saturday, saturday)
    assert {log["occurred_at"].date() for log in logs} == {saturday}
    with pytest.raises(ValueError):
        sample.contact_logs(1, END, START)

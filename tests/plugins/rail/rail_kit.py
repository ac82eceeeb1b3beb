"""Helpers of the rail plugin's tests: staff, a small station register, client KA1, and the
steps of the process at chosen moments (China time)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from crmcore_rail_freight.domain.qualification import QualificationFacts
from crmcore_rail_freight.domain.stations import Station
from crmcore_rail_freight.domain.volumes import (
    ConsigneeVolume,
    Direction,
    Signing,
    TrainProposal,
    VolumeFigures,
)
from crmcore_rail_freight.services import Rail, rail

from crmcore import Actor, Crm, NewClient, NewUnit, NewUser

CHINA = ZoneInfo("Asia/Shanghai")
D = Decimal
TOTAL = D("1200000")  # tonnes a year

STAFF = {
    "am": "account_manager",
    "bureau": "rail_bureau",
    "bureau2": "rail_bureau",
    "ministry": "rail_ministry",
    "fin": "finance",
    "reader": "read_only",
}

STATIONS = (
    Station(
        code="DTV",
        name="大同",
        bureau="太原局",
        fmos=True,
        whole_train_loading=True,
        whole_train_unloading=True,
    ),
    Station(
        code="QTP",
        name="秦皇岛",
        bureau="北京局",
        fmos=True,
        whole_train_loading=True,
        whole_train_unloading=True,
    ),
    Station(
        code="SHH",
        name="上海",
        bureau="上海局",
        fmos=True,
        whole_train_loading=True,
        whole_train_unloading=True,
    ),
    Station(
        code="BJP",
        name="北京",
        bureau="北京局",
        fmos=True,
        whole_train_loading=False,
        whole_train_unloading=False,
    ),
    Station(
        code="WAR",
        name="乌鲁木齐",
        bureau="乌鲁木齐局",
        fmos=False,
        whole_train_loading=True,
        whole_train_unloading=True,
    ),
)

REGISTER_CSV = """code,name,bureau,fmos,whole_train_loading,whole_train_unloading
DTV,大同,太原局,yes,yes,yes
QTP,秦皇岛,北京局,是,是,是
SHH,上海,上海局,true,true,true
BJP,北京,北京局,1,0,0
WAR,乌鲁木齐,乌鲁木齐局,no,yes,yes
"""

QUALIFYING: dict[str, Any] = {
    "party": "shipper",
    "station": "DTV",
    "year": 2025,
    "annual_tonnage": D("1000000"),
    "annual_freight": D("0"),
    "state_key_enterprise": True,
    "follows_railway_rules": True,
    "owns_goods": True,
    "pays_freight": True,
    "accepts_charter": True,
}


def china(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)  # type: ignore[misc]


class Kit:
    """One test database with the rail plugin: staff, stations, client KA1 (山西/大同).

    The staff work in one unit, 太原局大客户部, so each reads the clients its account manager
    owns (CORE-CONF-2): approvers must be able to read what they approve (access.may_act).
    """

    def __init__(self, crm: Crm) -> None:
        self.crm = crm
        admin = crm.actor("admin")
        crm.org.add_unit(admin, NewUnit(code="TYJ", name="太原局大客户部", kind="head_office"))
        for login, role in STAFF.items():
            crm.users.add(admin, NewUser(login=login, name=f"{login} 姓名", roles=(role,)))
            crm.org.add_member(admin, "TYJ", login)
        crm.clients.add(
            admin,
            NewClient(name="大同煤矿集团有限责任公司", code="KA1", region="山西/大同", owner="am"),
        )
        crm.clients.add(
            admin, NewClient(name="上海电力燃料有限公司", code="KA2", region="上海", owner="am")
        )
        self.rail.stations.load(admin, list(STATIONS))

    @property
    def rail(self) -> Rail:
        return rail(self.crm)

    def actor(self, login: str) -> Actor:
        return self.crm.actor(login)

    def at(self, *moment: int) -> None:
        """Every transaction from now on happens at ``moment`` (China time)."""
        when = china(*moment) if len(moment) > 3 else china(*moment, 10)
        self.crm.clock = lambda: when.astimezone(UTC)

    # -- steps --------------------------------------------------------------------------------

    def qualify(self, code: str = "KA1", **changes: Any):  # type: ignore[no-untyped-def]
        return self.rail.qualification.record(
            self.actor("am"), code, QualificationFacts(**{**QUALIFYING, **changes})
        )

    def certify(self, code: str = "KA1") -> str:
        self.qualify(code)
        self.rail.certificates.apply(self.actor("am"), code)
        self.rail.certificates.approve(self.actor("bureau"), code)
        self.rail.certificates.approve(self.actor("ministry"), code)
        number = self.rail.certificates.show(self.actor("admin"), code).in_force
        assert number is not None
        return number

    def approve_volume(self, year: int, total: Decimal = TOTAL, code: str = "KA1") -> None:
        """The whole cycle for ``year``, each party on its deadline day."""
        self.at(year - 1, 12, 10)
        self.rail.volumes.file(self.actor("am"), code, year, figures(total), sign("张三"))
        self.at(year - 1, 12, 20)
        self.rail.volumes.agree(self.actor("bureau"), code, year, sign("李四"))
        self.at(year - 1, 12, 31)
        self.rail.volumes.approve(self.actor("ministry"), code, year, sign("王五"))


def figures(total: Decimal = TOTAL, **changes: Any) -> VolumeFigures:
    """A form: 2/3 of the total to 北京局 (1/2 to 秦皇岛港), 1/6 to 上海局, one direct train."""

    def t(value: Decimal) -> Decimal:
        return value.quantize(D("0.001"))

    values: dict[str, Any] = {
        "total": total,
        "directions": (
            Direction(bureau="北京局", tonnage=t(total * 2 / 3)),
            Direction(bureau="上海局", tonnage=t(total / 6)),
        ),
        "consignees": (
            ConsigneeVolume(name="秦皇岛港", station="QTP", tonnage=t(total / 2)),
            ConsigneeVolume(name="上海电力", station="SHH", tonnage=t(total / 6)),
        ),
        "trains": (
            TrainProposal(origin="DTV", destination="QTP", trains=100, tonnage=t(total / 2)),
        ),
    }
    return VolumeFigures(**{**values, **changes})


def sign(signer: str = "张三", **changes: Any) -> Signing:
    return Signing(**{"signer": signer, "sealed": True, **changes})

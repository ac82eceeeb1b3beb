"""Demo data for ``crm demo``: the station register, rail staff, and three clients at the
three points of the process: a key account with two years of approved volumes, plans,
loadings and settlements; an applicant waiting for the ministry; one that does not qualify.

Past steps are taken as they would have been, at their own dates (a transaction whose clock
is set back), so deadlines, lateness and the on-time record show real history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from crmcore import Client, NewUser, Tx
from crmcore.calendar import CHINA, china_date

from .domain.operations import Loading
from .domain.qualification import QualificationFacts
from .domain.stations import parse_register
from .domain.volumes import ConsigneeVolume, Direction, Signing, TrainProposal, VolumeFigures
from .services import rail
from .services.common import BUREAU, MINISTRY

if TYPE_CHECKING:
    from crmcore.sampledata import SampleData

REGISTER = Path(__file__).parent / "data" / "stations-demo.csv"
STAFF = (("zhoujianguo", "周建国", BUREAU), ("sunliping", "孙立平", MINISTRY))
#: The bureau and the ministry are not units of the company: they read the key accounts they
#: supervise through grants to their roles (查阅权限, CORE-CONF-2).
GRANT_REASON = "铁路局/铁道部 verify and approve the key account (RAIL-QUAL-2, RAIL-VOL-1)"
#: Month-to-month swing of the key account's loadings, in percent of an even month.
SWING = (96, 92, 103, 101, 99, 104, 106, 105, 98, 100, 97, 99)
FREIGHT_PER_TONNE = Decimal("112.50")
DECLARED = {
    "state_key_enterprise": True,
    "follows_railway_rules": True,
    "owns_goods": True,
    "pays_freight": True,
    "accepts_charter": True,
}


def declare(
    tx: Tx, code: str, party: str, station: str, year: int, tonnage: str, freight: str
) -> None:
    """Record what a client declares, every yes/no condition met (RAIL-QUAL-1)."""
    facts = QualificationFacts(
        party=party,
        station=station,
        year=year,
        annual_tonnage=Decimal(tonnage),
        annual_freight=Decimal(freight),
        **DECLARED,
    )
    rail(tx.crm).qualification.record(tx, code, facts)


def load(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> str:
    r = rail(tx.crm)
    for login, name, role in STAFF:
        tx.crm.users.add(tx, NewUser(login=login, name=name, roles=(role,)))
    r.stations.load(tx, parse_register(REGISTER.read_text(encoding="utf-8"), REGISTER.name))
    if not clients:
        return "stations only"
    for record in clients[:3]:
        for _, _, role in STAFF:
            tx.crm.access.grant(tx, record.code, role=role, reason=GRANT_REASON)
    year = china_date(tx.now).year
    bureau, ministry = (tx.crm.actor(login, tx=tx) for login, _, _ in STAFF)
    key = clients[0]

    def at(actor_tx: Tx, y: int, m: int, d: int) -> Tx:
        moment = datetime.combine(datetime(y, m, d).date(), time(10), tzinfo=CHINA)
        return Tx(tx.crm, tx.conn, actor_tx.actor, min(moment, tx.now), tx.state)

    # The key account: qualified two years ago, certified, two approved annual volumes.
    declare(at(tx, year - 2, 3, 1), key.code, "shipper", "DTV", year - 3, "3150000", "352000000")
    r.certificates.apply(at(tx, year - 2, 3, 2), key.code)
    r.certificates.approve(at(tx.acting_as(bureau), year - 2, 3, 12), key.code)
    r.certificates.approve(at(tx.acting_as(ministry), year - 2, 3, 20), key.code)
    region = (key.region or "山西").split("/")[0]
    signer = sample.person_name()
    loaded = 0
    for plan_year, total in ((year - 1, Decimal("3250000")), (year, Decimal("3400000"))):
        r.volumes.set_growth(at(tx, plan_year - 1, 11, 20), region, plan_year, Decimal("5.00"))
        figures = VolumeFigures(
            total=total,
            contracted=total + Decimal("100000"),
            directions=(
                Direction(bureau="北京局", tonnage=total * Decimal("0.7")),
                Direction(bureau="上海局", tonnage=total * Decimal("0.2")),
            ),
            consignees=(
                ConsigneeVolume(
                    name="秦皇岛港务集团", station="QTP", tonnage=total * Decimal("0.5")
                ),
                ConsigneeVolume(
                    name="上海电力燃料公司", station="SHH", tonnage=total * Decimal("0.2")
                ),
            ),
            trains=(TrainProposal(origin="DTV", destination="QTP", trains=300, tonnage=total / 2),),
        )
        seal = {"sealed": True}
        r.volumes.file(
            at(tx, plan_year - 1, 12, 8),
            key.code,
            plan_year,
            figures,
            Signing(signer=signer, **seal),
        )
        late = plan_year == year  # the bureau was late last December
        r.volumes.agree(
            at(tx.acting_as(bureau), plan_year - 1, 12, 22 if late else 18),
            key.code,
            plan_year,
            Signing(
                signer="周建国", late=late, late_reason="运力衔接待协调" if late else None, **seal
            ),
        )
        r.volumes.approve(
            at(tx.acting_as(ministry), plan_year - 1, 12, 29),
            key.code,
            plan_year,
            Signing(signer="孙立平", **seal),
        )
        r.operations.make_plans(at(tx, plan_year - 1, 12, 30), key.code, plan_year)
        months = 12 if plan_year < year else china_date(tx.now).month - 1
        for month in range(1, months + 1):
            even = total / 12 * SWING[month - 1] / 100
            rows = [
                Loading(
                    month=f"{plan_year}-{month:02d}",
                    origin="DTV",
                    destination=code,
                    consignee=name,
                    tonnage=(even * share).quantize(Decimal("1")),
                    freight=(even * share * FREIGHT_PER_TONNE).quantize(Decimal("0.01")),
                )
                for code, name, share in (
                    ("QTP", "秦皇岛港务集团", Decimal("0.55")),
                    ("TJP", "天津港煤码头", Decimal("0.2")),
                    ("SHH", "上海电力燃料公司", Decimal("0.25")),
                )
            ]
            y, m = (plan_year, month + 1) if month < 12 else (plan_year + 1, 1)
            r.operations.import_loadings(at(tx, y, m, 2), key.code, rows)
            loaded += len(rows)
            freight = sum((row.freight or Decimal(0) for row in rows), Decimal(0))
            r.operations.settle(
                at(tx, y, m, 15),
                key.code,
                f"{plan_year}-{month:02d}",
                freight,
                f"JS{plan_year}{month:02d}",
            )
    summary = [
        f"{len(STAFF)} rail staff",
        "21 stations",
        f"key account {key.code}",
        f"{loaded} loadings",
    ]
    if len(clients) > 1:
        # An applicant qualifying by freight, waiting for the ministry.
        applicant = clients[1]
        declare(tx, applicant.code, "consignee", "SHH", year - 1, "850000", "120000000")
        r.certificates.apply(tx, applicant.code)
        r.certificates.approve(tx.acting_as(bureau), applicant.code)
        summary.append(f"applicant {applicant.code}")
    if len(clients) > 2:
        # Just short of the volume, and its station cannot unload whole trains.
        refused = clients[2]
        declare(tx, refused.code, "consignee", "BJP", year - 1, "999999", "98000000")
        summary.append(f"not qualified {refused.code}")
    return ", ".join(summary)

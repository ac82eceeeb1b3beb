"""RAIL-VOL-1/2: the annual volume form, its three signatures and deadlines, the growth check.

See :mod:`..domain.volumes` for the rules. Each signature is one row with the figures that
party signed; the form row says which party signed last and carries a version for
compare-and-set, so two people signing the same stage at once cannot both succeed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from crmcore import Conflict, InvalidInput, NotFound, Service, Tx, query, use_case
from crmcore.calendar import china_date
from crmcore.security.access import present

from .. import archive
from ..domain.volumes import (
    GROWTH_RULE,
    RULE,
    ConsigneeVolume,
    Direction,
    Growth,
    SignedStage,
    Signing,
    Stage,
    StageDue,
    TrainProposal,
    VolumeFigures,
    check_lateness,
    deadline,
    growth,
    region_chain,
)
from ..domain.years import check_year
from ..tables import region_growth, volume_forms, volume_lines, volume_signatures
from .actuals import Actuals, actuals, actuals_of
from .common import (
    BUREAU,
    MINISTRY,
    ClientRow,
    bureaus,
    client,
    clients_by_id,
    logins,
    readable_ids,
    require_may_act,
    require_stations,
    stations_by_id,
    taken_meanwhile,
)

#: The entity of a signature for the field rules (``crm_sensitive_fields``).
SIGNATURE = "rail.volume_signature"
SIGNING_ROLE = {Stage.BUREAU: BUREAU, Stage.MINISTRY: MINISTRY}
TONNE = Decimal("0.001")


@frozen(kw_only=True)
class Verification:
    """What the bureau verifies the figures against (第九条/第十条): the client's contracts,
    last year's actual total and actuals by direction, and last year's approved volume."""

    contracted: Decimal | None
    last_year: int
    last_year_actual: Decimal | None
    last_year_months: int  # months of last year with recorded loadings
    last_year_directions: dict[str, Decimal]  # actual tonnes by destination bureau
    last_year_approved: Decimal | None
    notes: tuple[str, ...]


@frozen(kw_only=True)
class VolumeForm:
    client_code: str
    client_name: str
    year: int
    stage: Stage  # the last party that signed
    effective: bool  # all three signed and sealed
    certificate: str | None  # the client's certificate in force when it filed
    figures: VolumeFigures  # as last signed
    stages: tuple[SignedStage, ...]
    due: tuple[StageDue, ...]
    verification: Verification
    growth: Growth
    document: int | None = None  # the approved form filed in the client's archive
    rule: str = RULE


@frozen(kw_only=True)
class VolumeSummary:
    client_code: str
    client_name: str
    year: int
    stage: Stage
    effective: bool
    total: Decimal
    late: tuple[str, ...]  # stages signed late
    overdue: tuple[str, ...]  # stages not signed and past their deadline
    growth_percent: Decimal | None
    growth_warning: str | None


@frozen(kw_only=True)
class RegionGrowth:
    region: str
    year: int
    percent: Decimal
    source: str | None
    set_at: datetime
    set_by: str


@frozen(kw_only=True)
class Prefill:
    """Next year's form pre-filled from a year's actual loadings."""

    year: int
    basis_year: int
    basis_months: int
    annualised: bool
    figures: VolumeFigures


class VolumeService(Service):
    # -- the three signatures -------------------------------------------------------------

    @use_case
    def file(
        self, tx: Tx, code: str, year: int, figures: VolumeFigures, signing: Signing
    ) -> VolumeForm:
        """The client files its signed and sealed form for ``year`` (by 10 December before)."""
        return self._sign(tx, code, year, Stage.CLIENT, signing, figures)

    @use_case
    def agree(
        self,
        tx: Tx,
        code: str,
        year: int,
        signing: Signing,
        figures: VolumeFigures | None = None,
    ) -> VolumeForm:
        """The bureau signs the proposal agreed with the client (by the 20th); without
        ``figures`` it endorses what the client filed."""
        return self._sign(tx, code, year, Stage.BUREAU, signing, figures)

    @use_case
    def approve(
        self,
        tx: Tx,
        code: str,
        year: int,
        signing: Signing,
        figures: VolumeFigures | None = None,
    ) -> VolumeForm:
        """The ministry signs (by the 31st); the annual volume takes effect."""
        return self._sign(tx, code, year, Stage.MINISTRY, signing, figures)

    # -- reading ------------------------------------------------------------------------------

    @query
    def show(self, tx: Tx, code: str, year: int) -> VolumeForm:
        record = client(tx, code, action="rail.volume.show")
        form = self._form(tx, record, year, required=True)
        return self._view(tx, record, form, action="rail.volume.show")

    @query
    def list(self, tx: Tx, year: int) -> list[VolumeSummary]:
        """Every form for ``year`` the actor may see, by client code."""
        f = volume_forms.c
        rows = tx.conn.execute(
            select(volume_forms).where(f.year == year, f.client_id.in_(readable_ids(tx)))
        ).all()
        clients = clients_by_id(tx, [r.client_id for r in rows])
        loaded = self._load(tx, [(clients[r.client_id], r) for r in rows])
        summaries = []
        for row in rows:
            form = self._view(
                tx, clients[row.client_id], row, action="rail.volume.list", loaded=loaded
            )
            summaries.append(
                VolumeSummary(
                    client_code=form.client_code,
                    client_name=form.client_name,
                    year=form.year,
                    stage=form.stage,
                    effective=form.effective,
                    total=form.figures.total,
                    late=tuple(s.stage.value for s in form.stages if s.late),
                    overdue=tuple(d.stage.value for d in form.due if d.overdue),
                    growth_percent=form.growth.growth_percent,
                    growth_warning=form.growth.warning,
                )
            )
        return sorted(summaries, key=lambda s: s.client_code)

    @query
    def prefill(self, tx: Tx, code: str, year: int, *, annualise: bool = False) -> Prefill:
        """A form for ``year`` filled from the actual loadings of the year before: total,
        directions (destination bureaus), consignees; the direct-train proposals of the year
        before's approved volume. ``annualise`` scales a part year up to twelve months."""
        record = client(tx, code, action="rail.volume.prefill")
        basis = actuals(tx, record.id, year - 1)
        if not basis.months:
            raise NotFound(
                f"client {code} has no actual loadings in {year - 1} to pre-fill from",
                rule=RULE,
            )
        factor = Decimal(12) / basis.months if annualise else Decimal(1)

        def scale(value: Decimal) -> Decimal:
            # Rounded down, so the parts never add up to more than the total.
            return (value * factor).quantize(TONNE, rounding=ROUND_DOWN)

        trains: tuple[TrainProposal, ...] = ()
        previous = self._signature(tx, record.id, year - 1, Stage.MINISTRY)
        if previous is not None:
            trains = self._figures(tx, previous).trains
        figures = VolumeFigures(
            total=scale(basis.total),
            directions=tuple(
                Direction(bureau=b, tonnage=scale(t))
                for b, t in sorted(basis.by_bureau.items(), key=lambda i: (-i[1], i[0]))
            ),
            consignees=tuple(
                ConsigneeVolume(name=name, station=station, tonnage=scale(t))
                for (name, station), t in sorted(
                    basis.by_consignee.items(), key=lambda i: (-i[1], i[0])
                )
            ),
            trains=trains,
        )
        return Prefill(
            year=year,
            basis_year=year - 1,
            basis_months=basis.months,
            annualised=annualise and basis.months < 12,
            figures=figures,
        )

    def approved(self, tx: Tx, client_id: int, year: int) -> VolumeFigures | None:
        """The figures in effect for ``year`` (signed by the ministry), if any."""
        row = self._signature(tx, client_id, year, Stage.MINISTRY)
        return None if row is None else self._figures(tx, row)

    # -- the region's average growth (RAIL-VOL-2) -----------------------------------------

    @use_case
    def set_growth(
        self, tx: Tx, region: str, year: int, percent: Decimal, *, source: str | None = None
    ) -> RegionGrowth:
        """Enter the region's average railway growth for ``year``; a new entry supersedes
        the old one, which stays on record."""
        tx.actor.require("rail.admin")
        region = (region or "").strip().strip("/")
        if not region or len(region) > 100:
            raise InvalidInput(
                "region", "give a region such as 广东 or 广东/广州", rule=GROWTH_RULE
            )
        check_year(year)
        if (
            not isinstance(percent, Decimal)
            or not percent.is_finite()
            or not Decimal(-100) <= percent <= Decimal(1000)
            or percent != percent.quantize(Decimal("0.01"))
        ):
            raise InvalidInput(
                "percent",
                f"{percent!r} is not a growth rate in percent (-100 to 1000, two decimals)",
                rule=GROWTH_RULE,
            )
        tx.conn.execute(
            region_growth.insert().values(
                region=region,
                year=year,
                percent=percent,
                source=(source or "").strip() or None,
                set_at=tx.now,
                set_by=tx.actor.user_id,
            )
        )
        tx.audit("rail.growth.set", "rail_region_growth", f"{region}/{year}", detail={"year": year})
        return self.growth_figures(tx, year=year, region=region)[0]

    @query
    def growth_figures(
        self, tx: Tx, *, year: int | None = None, region: str | None = None
    ) -> list[RegionGrowth]:
        """The figure in force per region and year (the newest entry)."""
        tx.actor.require("rail.read")
        g = region_growth.c
        stmt = select(region_growth).order_by(g.year, g.region, g.id.desc())
        if year is not None:
            stmt = stmt.where(g.year == year)
        if region is not None:
            stmt = stmt.where(g.region == region)
        rows = tx.conn.execute(stmt).all()
        who = logins(tx, [r.set_by for r in rows])
        seen: set[tuple[str, int]] = set()
        result = []
        for r in rows:
            if (r.region, r.year) in seen:
                continue
            seen.add((r.region, r.year))
            result.append(
                RegionGrowth(
                    region=r.region,
                    year=r.year,
                    percent=r.percent,
                    source=r.source,
                    set_at=r.set_at,
                    set_by=who[r.set_by],
                )
            )
        return result

    # -- internals ----------------------------------------------------------------------------

    def _sign(
        self,
        tx: Tx,
        code: str,
        year: int,
        stage: Stage,
        signing: Signing,
        figures: VolumeFigures | None,
    ) -> VolumeForm:
        record = client(tx, code)
        if stage is Stage.CLIENT:
            tx.actor.require("rail.write")
        else:
            require_may_act(
                tx, SIGNING_ROLE[stage], record, f"signing the annual volume as the {stage}", RULE
            )
        check_year(year)
        today = china_date(tx.now)
        signed_on = signing.signed_on or today
        if signed_on > today:
            raise InvalidInput("signed_on", f"{signed_on} is in the future", rule=RULE)
        form = self._form(tx, record, year)
        previous: Row[Any] | None = None
        if stage is Stage.CLIENT:
            if year > today.year + 1:
                raise InvalidInput(
                    "year", f"the form for {year} is filed in December {year - 1}", rule=RULE
                )
            if form is not None:
                raise self._refusal(tx, record, form, stage)
        else:
            if form is None:
                raise Conflict(f"client {code} has not filed its form for {year} yet", rule=RULE)
            if form.stage != stage.previous:
                raise self._refusal(tx, record, form, stage)
            previous = self._signature(tx, record.id, year, stage.previous)
            assert previous is not None
            if signed_on < previous.signed_on:
                raise InvalidInput(
                    "signed_on",
                    f"{signed_on} is before the {stage.previous} signed ({previous.signed_on})",
                    rule=RULE,
                )
            figures = figures or self._figures(tx, previous)
        if figures is None:
            raise InvalidInput("figures", "the client's form needs its figures", rule=RULE)
        rows = self._check_figures(tx, figures)
        due = deadline(year, stage, tx.crm.policies.in_force(tx, RULE))
        check_lateness(stage, signed_on, due, signing.late)

        if form is None:
            try:
                form_id = tx.conn.execute(
                    volume_forms.insert().values(
                        client_id=record.id,
                        year=year,
                        stage=stage,
                        version=1,
                        created_at=tx.now,
                        updated_at=tx.now,
                    )
                ).inserted_primary_key[0]
            except IntegrityError:  # filed at the same moment by someone else
                raise Conflict(
                    f"the form of {code} for {year} was filed meanwhile; look again", rule=RULE
                ) from None
        else:
            form_id = form.id
            done = tx.conn.execute(
                update(volume_forms)
                .where(volume_forms.c.id == form.id, volume_forms.c.version == form.version)
                .values(stage=stage, version=form.version + 1, updated_at=tx.now)
            ).rowcount
            if done != 1:
                raise Conflict(
                    f"the form of {code} for {year} changed meanwhile; look again", rule=RULE
                )
        with taken_meanwhile(f"the {stage} signed the form of {code} for {year}", RULE):
            signature_id = self._insert_signature(
                tx, form_id, stage, figures, signing, signed_on, due
            )
        self._write_lines(tx, signature_id, figures, rows)
        if stage is Stage.MINISTRY:
            self._file(tx, record, form_id, year)
        tx.audit(
            f"rail.volume.{stage.value}_signed",
            "rail_volume_form",
            f"{code}/{year}",
            client_id=record.id,
            detail={"year": year, "stage": stage.value, "late": signed_on > due},
        )
        form = self._form(tx, record, year, required=True)
        return self._view(tx, record, form, action=None)

    def _insert_signature(
        self,
        tx: Tx,
        form_id: int,
        stage: Stage,
        figures: VolumeFigures,
        signing: Signing,
        signed_on: date,
        due: date,
    ) -> int:
        return tx.conn.execute(
            volume_signatures.insert().values(
                form_id=form_id,
                stage=stage,
                total=figures.total,
                contracted=figures.contracted,
                signer=signing.signer,
                sealed=signing.sealed,
                signed_on=signed_on,
                deadline=due,
                late=signed_on > due,
                late_reason=signing.late_reason,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]

    def _file(self, tx: Tx, record: ClientRow, form_id: int, year: int) -> None:
        """File the approved form (three signatures) in the client's archive (CORE-ARC-1)."""
        form = tx.conn.execute(select(volume_forms).where(volume_forms.c.id == form_id)).one()
        view = self._view(tx, record, form, action=None)
        archive.file(
            tx,
            record.code,
            archive.VOLUMES,
            title=f"铁路大客户年度运量表 {record.code} {year}",
            filename=f"rail-volume-{record.code}-{year}.txt",
            lines=_form_lines(view),
            dated=view.stages[-1].signed_on,
            on=(volume_forms, volume_forms.c.id == form_id),
        )

    def _refusal(self, tx: Tx, record: ClientRow, form: Row[Any], stage: Stage) -> Conflict:
        where = f"the annual volume of {record.code} for {form.year}"
        if form.stage == Stage.MINISTRY:
            signed = self._signature(tx, record.id, form.year, Stage.MINISTRY)
            assert signed is not None
            return Conflict(
                f"{where} is already approved (the ministry signed on {signed.signed_on}); "
                "it is approved once a year",
                rule=RULE,
            )
        order = list(Stage)
        if order.index(Stage(form.stage)) >= order.index(stage):
            return Conflict(f"{where} is already signed by the {stage}", rule=RULE)
        waiting = Stage(form.stage).next
        return Conflict(f"{where} waits for the {waiting} to sign first", rule=RULE)

    def _check_figures(self, tx: Tx, figures: VolumeFigures) -> dict[str, Row[Any]]:
        rows = require_stations(tx, figures.stations(), RULE)
        known = bureaus(tx)
        for i, direction in enumerate(figures.directions):
            if direction.bureau not in known:
                raise InvalidInput(
                    f"directions.{i}.bureau",
                    f"unknown bureau {direction.bureau!r}: no station of the register belongs "
                    f"to it (known: {', '.join(sorted(known)) or 'none'})",
                    rule=RULE,
                )
        return rows

    def _write_lines(
        self, tx: Tx, signature_id: int, figures: VolumeFigures, rows: dict[str, Row[Any]]
    ) -> None:
        lines: list[dict[str, Any]] = []

        def line(kind: str, label: str, tonnage: Decimal, **more: Any) -> None:
            values = {"origin_id": None, "destination_id": None, "trains": None, "note": None}
            lines.append(
                {
                    **values,
                    **more,
                    "kind": kind,
                    "label": label,
                    "tonnage": tonnage,
                    "signature_id": signature_id,
                }
            )

        for d in figures.directions:
            line("direction", d.bureau, d.tonnage)
        for c in figures.consignees:
            line(
                "consignee",
                c.name,
                c.tonnage,
                destination_id=rows[c.station].id if c.station else None,
            )
        for p in figures.trains:
            line(
                "train",
                p.label,
                p.tonnage,
                origin_id=rows[p.origin].id,
                destination_id=rows[p.destination].id,
                trains=p.trains,
                note=p.note,
            )
        if lines:
            tx.conn.execute(volume_lines.insert(), lines)

    def _form(self, tx: Tx, record: ClientRow, year: int, *, required: bool = False) -> Any:
        row = tx.conn.execute(
            select(volume_forms).where(
                volume_forms.c.client_id == record.id, volume_forms.c.year == year
            )
        ).first()
        if row is None and required:
            raise NotFound(
                f"volume: client {record.code} has no annual volume form for {year}", rule=RULE
            )
        return row

    def _signature(self, tx: Tx, client_id: int, year: int, stage: Stage) -> Row[Any] | None:
        return tx.conn.execute(
            select(volume_signatures)
            .join(volume_forms, volume_forms.c.id == volume_signatures.c.form_id)
            .where(
                volume_forms.c.client_id == client_id,
                volume_forms.c.year == year,
                volume_signatures.c.stage == stage,
            )
        ).first()

    def _figures(self, tx: Tx, signature: Row[Any]) -> VolumeFigures:
        lines = tx.conn.execute(
            select(volume_lines)
            .where(volume_lines.c.signature_id == signature.id)
            .order_by(volume_lines.c.id)
        ).all()
        codes = stations_by_id(tx, [i for r in lines for i in (r.origin_id, r.destination_id)])
        return _figures(signature, lines, codes)

    def _load(self, tx: Tx, forms: Sequence[tuple[ClientRow, Row[Any]]]) -> _Loaded:
        """Everything the views of ``forms`` need, in a fixed number of queries however many
        forms there are (the list of a year's forms)."""
        from .certificates import CertificateService

        s, f = volume_signatures.c, volume_forms.c
        signatures: dict[int, dict[Stage, Row[Any]]] = {form.id: {} for _, form in forms}
        rows = tx.conn.execute(select(volume_signatures).where(s.form_id.in_(sorted(signatures))))
        for r in rows:
            signatures[r.form_id][Stage(r.stage)] = r
        signed = [r for by_stage in signatures.values() for r in by_stage.values()]
        lines: dict[int, list[Row[Any]]] = {r.id: [] for r in signed}
        for line in tx.conn.execute(
            select(volume_lines)
            .where(volume_lines.c.signature_id.in_(sorted(lines)))
            .order_by(volume_lines.c.id)
        ):
            lines[line.signature_id].append(line)
        ids = {i for ls in lines.values() for r in ls for i in (r.origin_id, r.destination_id)}
        client_ids = {record.id for record, _ in forms}
        bases = {form.year - 1 for _, form in forms}
        last = {
            (client_id, year): a
            for year in bases
            for client_id, a in actuals_of(tx, client_ids, year).items()
        }
        approved = {
            (r.client_id, r.year): r
            for r in tx.conn.execute(
                select(volume_signatures, f.client_id, f.year)
                .join(volume_forms, f.id == s.form_id)
                .where(
                    f.client_id.in_(sorted(client_ids)),
                    f.year.in_(sorted(bases)),
                    s.stage == Stage.MINISTRY,
                )
            )
        }
        # one form per client here (a show, or the forms of one year)
        certificates = CertificateService(tx.crm).in_force_of(
            tx,
            {record.id: signatures[form.id][Stage.CLIENT].signed_on for record, form in forms},
        )
        chains = {name for record, _ in forms for name in region_chain(record.region)}
        g = region_growth.c
        regional: dict[tuple[int, str], Decimal] = {}
        if chains:
            for r in tx.conn.execute(
                select(g.region, g.year, g.percent)
                .where(g.year.in_(sorted(y + 1 for y in bases)), g.region.in_(sorted(chains)))
                .order_by(g.id.desc())
            ):
                regional.setdefault((r.year, r.region), r.percent)
        return _Loaded(
            signatures=signatures,
            lines=lines,
            stations=stations_by_id(tx, ids),
            who=logins(tx, [r.recorded_by for r in signed]),
            last=last,
            approved=approved,
            certificates=certificates,
            regional=regional,
        )

    def _view(
        self,
        tx: Tx,
        record: ClientRow,
        form: Row[Any],
        *,
        action: str | None,
        loaded: _Loaded | None = None,
    ) -> VolumeForm:
        """The form as the actor may see it: the client's signer is personal data
        (``rail.volume_signature``, see ``confidentiality.py``)."""
        loaded = loaded or self._load(tx, [(record, form)])
        signatures = loaded.signatures[form.id]
        stages = tuple(
            present(
                tx,
                self._signed(stage, r, loaded),
                SIGNATURE,
                action=action,
                client=record,
                record_id=f"{record.code}/{form.year}/{stage}",
            )
            for stage, r in sorted(signatures.items(), key=lambda i: list(Stage).index(i[0]))
        )
        today = china_date(tx.now)
        days = tx.crm.policies.in_force(tx, RULE)
        due = []
        for stage in Stage:
            signed = signatures.get(stage)
            when = signed.deadline if signed is not None else deadline(form.year, stage, days)
            due.append(
                StageDue(
                    stage=stage,
                    deadline=when,
                    signed_on=signed.signed_on if signed is not None else None,
                    late=signed.late if signed is not None else None,
                    overdue=signed is None and today > when,
                )
            )
        figures = stages[-1].figures
        last = loaded.last[(record.id, form.year - 1)]
        approved = loaded.approved.get((record.id, form.year - 1))
        return VolumeForm(
            client_code=record.code,
            client_name=record.name,
            year=form.year,
            stage=Stage(form.stage),
            effective=Stage.MINISTRY in signatures,
            certificate=loaded.certificates[record.id],
            figures=figures,
            stages=stages,
            due=tuple(due),
            verification=self._verification(
                year=form.year, figures=figures, last=last, approved=approved
            ),
            growth=self._growth(
                tx,
                record,
                form.year,
                figures.total,
                last,
                approved,
                _regional(loaded.regional, record.region, form.year),
            ),
            document=form.document_id,
        )

    def _signed(self, stage: Stage, r: Row[Any], loaded: _Loaded) -> SignedStage:
        return SignedStage(
            stage=stage,
            figures=_figures(r, loaded.lines[r.id], loaded.stations),
            signer=r.signer,
            sealed=r.sealed,
            signed_on=r.signed_on,
            deadline=r.deadline,
            late=r.late,
            late_reason=r.late_reason,
            recorded_at=r.recorded_at,
            recorded_by=loaded.who[r.recorded_by],
        )

    def _verification(
        self, *, year: int, figures: VolumeFigures, last: Actuals, approved: Row[Any] | None
    ) -> Verification:
        notes = []
        if figures.contracted is not None and figures.total > figures.contracted:
            notes.append(
                f"the total is {figures.total - figures.contracted} t above the contracted volume"
            )
        if last.months and last.months < 12:
            notes.append(f"actual loadings of {year - 1} cover {last.months} months")
        if not last.months:
            notes.append(f"no actual loadings recorded for {year - 1}")
        return Verification(
            contracted=figures.contracted,
            last_year=year - 1,
            last_year_actual=last.total if last.months else None,
            last_year_months=last.months,
            last_year_directions=last.by_bureau,
            last_year_approved=approved.total if approved is not None else None,
            notes=tuple(notes),
        )

    def _growth(
        self,
        tx: Tx,
        record: ClientRow,
        year: int,
        total: Decimal,
        last: Actuals,
        approved: Row[Any] | None,
        regional: tuple[str, Decimal] | None,
    ) -> Growth:
        """RAIL-VOL-2 against last year's actuals or approved volume (the policy's base)."""
        base_kind = tx.crm.policies.in_force(tx, GROWTH_RULE).base
        if base_kind == "actual":
            base = last.total if last.months else None
        else:
            base = approved.total if approved is not None else None
        return growth(
            total=total,
            year=year,
            base_kind=base_kind,
            base=base,
            base_months=last.months,
            region=record.region,
            regional=regional,
        )


@frozen(kw_only=True)
class _Loaded:
    """What the views of some forms need, read at once (see ``VolumeService._load``)."""

    signatures: dict[int, dict[Stage, Row[Any]]]  # form id -> stage -> signature
    lines: dict[int, list[Row[Any]]]  # signature id -> its lines, in order
    stations: dict[int, Row[Any]]
    who: Mapping[int, str]  # user id -> login
    last: dict[tuple[int, int], Actuals]  # (client id, year) -> actual loadings
    approved: dict[tuple[int, int], Row[Any]]  # (client id, year) -> the ministry's signature
    certificates: dict[int, str | None]  # client id -> certificate in force when it filed
    regional: dict[tuple[int, str], Decimal]  # (year, region) -> newest average growth


def _regional(
    newest: Mapping[tuple[int, str], Decimal], region: str | None, year: int
) -> tuple[str, Decimal] | None:
    """The most specific region of ``region``'s chain with an average growth for ``year``."""
    for name in region_chain(region):
        if (year, name) in newest:
            return name, newest[(year, name)]
    return None


def _figures(
    signature: Row[Any], lines: Sequence[Row[Any]], stations: Mapping[int, Row[Any]]
) -> VolumeFigures:
    def code(station_id: int | None) -> str | None:
        return stations[station_id].code if station_id is not None else None

    return VolumeFigures(
        total=signature.total,
        contracted=signature.contracted,
        directions=tuple(
            Direction(bureau=r.label, tonnage=r.tonnage) for r in lines if r.kind == "direction"
        ),
        consignees=tuple(
            ConsigneeVolume(name=r.label, tonnage=r.tonnage, station=code(r.destination_id))
            for r in lines
            if r.kind == "consignee"
        ),
        trains=tuple(
            TrainProposal(
                origin=code(r.origin_id),
                destination=code(r.destination_id),
                trains=r.trains,
                tonnage=r.tonnage,
                note=r.note,
            )
            for r in lines
            if r.kind == "train"
        ),
    )


def _form_lines(form: VolumeForm) -> list[str]:
    """The approved form as filed in the archive (text): figures and the three signatures."""
    f = form.figures
    lines = [
        "铁路大客户年度运量表 / Annual volume form (RAIL-VOL-1)",
        f"客户 Client: {form.client_code} {form.client_name}",
        f"年度 Year: {form.year}",
        f"证书 Certificate: {form.certificate or '-'}",
        f"年运量 Total: {f.total} t",
        *(f"去向 Direction: {d.bureau} {d.tonnage} t" for d in f.directions),
        *(f"收货人 Consignee: {c.name} {c.station or ''} {c.tonnage} t" for c in f.consignees),
        *(
            f"直达列车 Direct trains: {p.origin}->{p.destination} {p.trains} trains {p.tonnage} t"
            for p in f.trains
        ),
    ]
    for s in form.stages:
        late = " (late)" if s.late else ""
        sealed = "盖章 sealed" if s.sealed else "not sealed"
        lines.append(f"签字 {s.stage}: {s.signer or '(masked)'}, {s.signed_on}{late}, {sealed}")
    return lines

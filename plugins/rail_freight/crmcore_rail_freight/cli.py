"""``crm rail ...``: parse, call a rail service, render. No rule lives here.

Read commands take ``--json``. Errors are the services' one-line errors with their exit
codes (3 invalid input, 4 not found, 5 conflict, 6 permission denied).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, pairs, parse_date

if TYPE_CHECKING:
    from decimal import Decimal

    from crmcore import Instance

    from .domain.qualification import QualificationCheck
    from .domain.volumes import Signing, VolumeFigures
    from .services import Rail
    from .services.volumes import VolumeForm

PARTIES = ("shipper", "consignee")


def _rail() -> Rail:
    from .services import rail

    return rail(current().crm)


def _read(path: str, field: str) -> str:
    from crmcore import InvalidInput

    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(field, f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInput(field, f"{path} is not UTF-8 text") from None


@click.group(name="rail")
def group() -> None:
    """Railway freight key accounts (铁路运输大客户): RAIL-QUAL-1/2, RAIL-VOL-1/2, RAIL-OPS-1."""


# -- stations ------------------------------------------------------------------------------


@group.group()
def station() -> None:
    """The station register (车站): FMOS network and whole-train capability."""


@station.command(name="load")
@click.argument("path", type=click.Path(dir_okay=False))
def station_load(path: str) -> None:
    """Load stations from a CSV or JSON file.

    CSV header: code,name,bureau,fmos,whole_train_loading,whole_train_unloading (flags are
    true/false, yes/no, 1/0 or 是/否). New codes are added, changed ones updated (their
    history kept); stations the file leaves out stay.
    """
    from .domain.stations import parse_register

    app = current()
    register = parse_register(_read(path, "path"), Path(path).name)
    result = _rail().stations.load(app.actor, register)
    render.done(
        f"stations: {len(result.added)} added, {len(result.changed)} changed, "
        f"{result.unchanged} unchanged"
    )


@station.command(name="list")
@click.option("--bureau", help="Only this bureau's stations (e.g. 太原局).")
@json_option
def station_list(bureau: str | None, as_json: bool) -> None:
    """Every station of the register, by bureau."""
    app = current()
    found = _rail().stations.list(app.actor, bureau=bureau)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        "Stations",
        ["code", "name", "bureau", "FMOS", "whole-train loading", "whole-train unloading"],
        [
            (
                s.code,
                s.name,
                s.bureau,
                _yes(s.fmos),
                _yes(s.whole_train_loading),
                _yes(s.whole_train_unloading),
            )
            for s in found
        ],
    )


@station.command(name="show")
@click.argument("code")
@json_option
def station_show(code: str, as_json: bool) -> None:
    """One station."""
    app = current()
    found = _rail().stations.get(app.actor, code)
    if as_json:
        render.emit_json(found)
        return
    render.fields(
        f"{found.code} {found.name}",
        [
            ("bureau", found.bureau),
            ("on FMOS", _yes(found.fmos)),
            ("whole-train loading", _yes(found.whole_train_loading)),
            ("whole-train unloading", _yes(found.whole_train_unloading)),
        ],
    )


# -- qualification (RAIL-QUAL-1) ----------------------------------------------------------


@group.command()
@click.argument("client_code")
@click.option(
    "--party",
    type=click.Choice(PARTIES),
    required=True,
    help="Shipper at its origin station, or consignee at its destination.",
)
@click.option(
    "--station",
    "station_code",
    required=True,
    help="The origin (shipper) or destination (consignee) station code.",
)
@click.option("--year", type=int, required=True, help="The year the volume and freight are for.")
@click.option("--tonnage", required=True, help="Tonnes shipped or received by rail that year.")
@click.option("--freight", required=True, help="Freight paid to the railway that year, CNY.")
@click.option(
    "--state-key-enterprise", is_flag=True, help="A key enterprise supported by state policy."
)
@click.option(
    "--follows-railway-rules", is_flag=True, help="Follows railway rules and centralised command."
)
@click.option("--owns-goods", is_flag=True, help="Owns the goods it ships or receives.")
@click.option(
    "--pays-freight", is_flag=True, help="Pays the freight itself, as an independent entity."
)
@click.option(
    "--accepts-charter", is_flag=True, help="Accepts the key-account charter (《铁路大客户章程》)."
)
@click.option("--note")
@json_option
def qualify(client_code: str, station_code: str, as_json: bool, **facts: Any) -> None:
    """Record a client's RAIL-QUAL-1 facts and show the check."""
    from crmcore.convert import structure

    from .domain.qualification import QualificationFacts

    app = current()
    data = {k: v for k, v in facts.items() if v is not None}
    data.update(
        station=station_code,
        annual_tonnage=data.pop("tonnage"),
        annual_freight=data.pop("freight"),
    )
    result = _rail().qualification.record(
        app.actor, client_code, structure(data, QualificationFacts)
    )
    _show_check(result, as_json)


@group.command()
@click.argument("client_code")
@json_option
def check(client_code: str, as_json: bool) -> None:
    """Every RAIL-QUAL-1 criterion for the client: pass or fail, and the numbers behind it."""
    app = current()
    _show_check(_rail().qualification.check(app.actor, client_code), as_json)


def _show_check(result: QualificationCheck, as_json: bool) -> None:
    if as_json:
        render.emit_json(result)
        return
    verdict = "QUALIFIES" if result.qualified else f"does NOT qualify ({len(result.failed)} failed)"
    render.table(
        f"{result.client_code} {result.client_name}: {verdict} (RAIL-QUAL-1); "
        f"{result.party} at {result.station.code} {result.station.name}",
        ["item", "criterion", "result", "numbers"],
        [
            (c.clause, f"{c.title}\n{c.source}", "pass" if c.passed else "FAIL", c.detail)
            for c in result.criteria
        ],
    )


# -- certificates (RAIL-QUAL-2) -----------------------------------------------------------


@group.group()
def cert() -> None:
    """Key-account certificates: apply, approve, renew, revoke (RAIL-QUAL-2)."""


@cert.command(name="apply")
@click.argument("client_code")
@click.option("--comment")
def cert_apply(client_code: str, comment: str | None) -> None:
    """The client applies; the bureau verifies next, then the ministry approves."""
    app = current()
    _started("application", _rail().certificates.apply(app.actor, client_code, comment=comment))


@cert.command(name="renew")
@click.argument("number")
@click.option("--comment")
def cert_renew(number: str, comment: str | None) -> None:
    """Apply to renew a certificate (in force or expired)."""
    app = current()
    _started("renewal", _rail().certificates.renew(app.actor, number, comment=comment))


def _started(what: str, started: Instance) -> None:
    render.done(
        f"{what} workflow {started.id} started; waiting for {', '.join(started.waiting_for)}"
    )


@cert.command(name="approve")
@click.argument("client_code")
@click.option("--comment")
def cert_approve(client_code: str, comment: str | None) -> None:
    """Approve the client's open application at the step waiting for you."""
    app = current()
    moved = _rail().certificates.approve(app.actor, client_code, comment=comment)
    if moved.closed:
        shown = _rail().certificates.show(app.actor, client_code)
        render.done(f"certified: certificate {shown.in_force} issued to {client_code}")
    else:
        render.done(f"approved; now waiting for {', '.join(moved.waiting_for)}")


@cert.command(name="reject")
@click.argument("client_code")
@click.option("--reason", required=True)
def cert_reject(client_code: str, reason: str) -> None:
    """Refuse the client's open application, with a reason."""
    app = current()
    moved = _rail().certificates.reject(app.actor, client_code, reason)
    render.done(f"application workflow {moved.id}: {moved.state_label}")


@cert.command(name="revoke")
@click.argument("number")
@click.option("--reason", required=True)
def cert_revoke(number: str, reason: str) -> None:
    """Revoke a certificate in force (the ministry); it stays on record."""
    app = current()
    ended = _rail().certificates.revoke(app.actor, number, reason)
    render.done(f"certificate {ended.number} of {ended.client_code} revoked")


@cert.command(name="show")
@click.argument("client_code")
@json_option
def cert_show(client_code: str, as_json: bool) -> None:
    """A client's certificates and applications."""
    app = current()
    found = _rail().certificates.show(app.actor, client_code)
    if as_json:
        render.emit_json(found)
        return
    _certificates(f"{found.client_code} {found.client_name}: certificates", found.certificates)
    render.table(
        "Applications",
        ["workflow", "kind", "step", "started", "by"],
        [
            (
                a.id,
                f"renews {a.data['renews']}" if a.data.get("renews") else "new",
                a.state_label,
                a.started_at,
                a.started_by,
            )
            for a in found.applications
        ],
    )


@cert.command(name="list")
@click.option(
    "--status",
    type=click.Choice(("in_force", "expired", "revoked", "superseded")),
    help="Only these.",
)
@json_option
def cert_list(status: str | None, as_json: bool) -> None:
    """Every certificate, newest first."""
    app = current()
    found = _rail().certificates.list(app.actor, status=status)
    if as_json:
        render.emit_json(found)
        return
    _certificates("Key-account certificates", found)


def _certificates(title: str, found: Any) -> None:
    render.table(
        title,
        ["number", "client", "status", "valid from", "valid until", "as", "renews", "ended"],
        [
            (
                c.number,
                c.client_code,
                c.status,
                c.valid_from,
                c.valid_until,
                f"{c.party} at {c.station}",
                c.renews,
                f"{render.cell(c.ended_at)} {c.end_reason}" if c.ended_at else None,
            )
            for c in found
        ],
    )


# -- annual volume (RAIL-VOL-1/2) ---------------------------------------------------------


@group.group()
def volume() -> None:
    """The annual volume form and its three signatures (RAIL-VOL-1), growth (RAIL-VOL-2)."""


def figure_options(fn: Any) -> Any:
    options = [
        click.option(
            "--form",
            "form_path",
            type=click.Path(dir_okay=False),
            help="The figures as JSON (see `volume prefill --output`).",
        ),
        click.option("--total", help="Total tonnes for the year."),
        click.option(
            "--contracted", help="Tonnes under the client's supply contracts (产运需购销合同)."
        ),
        click.option(
            "--direction",
            "directions",
            multiple=True,
            metavar="BUREAU=TONNES",
            help="A main direction (repeatable).",
        ),
        click.option(
            "--consignee",
            "consignees",
            multiple=True,
            metavar="NAME[@STATION]=TONNES",
            help="A consignee's volume (repeatable).",
        ),
        click.option(
            "--train",
            "trains",
            multiple=True,
            metavar="ORIGIN:DESTINATION:TRAINS:TONNES",
            help="A direct-train proposal (repeatable).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def signing_options(fn: Any) -> Any:
    options = [
        click.option(
            "--year",
            type=int,
            required=True,
            help="The plan year (the form is filed in December before).",
        ),
        click.option(
            "--signer", help="Who signs for the party (the bureau and ministry default to you)."
        ),
        click.option(
            "--sealed", is_flag=True, help="The party's seal is on it (签字盖章): required."
        ),
        click.option(
            "--on", "signed_on", help="The day it was signed (default today), YYYY-MM-DD."
        ),
        click.option(
            "--late", is_flag=True, help="The step is past its deadline: required exactly then."
        ),
        click.option("--late-reason", help="Why it is late."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _figures(options: dict[str, Any], year: int, *, required: bool) -> VolumeFigures | None:
    from crmcore import InvalidInput
    from crmcore.convert import loads, structure

    from .domain.volumes import VolumeFigures

    breakdown = options["directions"] or options["consignees"] or options["trains"]
    if options["form_path"]:
        if options["total"] or options["contracted"] or breakdown:
            raise InvalidInput("form", "give the figures in the file or as options, not both")
        try:
            data = loads(_read(options["form_path"], "form"))
        except json.JSONDecodeError as exc:
            raise InvalidInput("form", f"is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidInput("form", "must be a JSON object with total, directions, ...")
        data.pop("prefilled_from", None)
        if "year" in data and data.pop("year") != year:
            raise InvalidInput("form", f"the file is a form for another year than {year}")
        return structure(data, VolumeFigures)
    if options["total"] is None:
        if breakdown or options["contracted"]:
            raise InvalidInput("total", "give the total with the breakdown")
        if required:
            raise InvalidInput(
                "total", "give the figures: --total (and the breakdown) or --form FILE"
            )
        return None
    data = {
        "total": options["total"],
        "directions": [_direction(d) for d in options["directions"]],
        "consignees": [_consignee(c) for c in options["consignees"]],
        "trains": [_train(t) for t in options["trains"]],
    }
    if options["contracted"]:
        data["contracted"] = options["contracted"]
    return structure(data, VolumeFigures)


def _direction(text: str) -> dict[str, str]:
    (bureau, tonnes) = _split(text, "direction", "BUREAU=TONNES")
    return {"bureau": bureau, "tonnage": tonnes}


def _consignee(text: str) -> dict[str, str]:
    name, tonnes = _split(text, "consignee", "NAME[@STATION]=TONNES")
    name, _, station = name.partition("@")
    return {"name": name, "tonnage": tonnes, **({"station": station} if station else {})}


def _train(text: str) -> dict[str, str]:
    from crmcore import InvalidInput

    parts = [p.strip() for p in text.split(":")]
    if len(parts) != 4 or not all(parts):
        raise InvalidInput("train", f"{text!r} is not ORIGIN:DESTINATION:TRAINS:TONNES")
    return dict(zip(("origin", "destination", "trains", "tonnage"), parts, strict=True))


def _split(text: str, field: str, shape: str) -> tuple[str, str]:
    from crmcore import InvalidInput

    key, sep, value = text.rpartition("=")
    if not sep or not key.strip() or not value.strip():
        raise InvalidInput(field, f"{text!r} is not {shape}")
    return key.strip(), value.strip()


def _signing(options: dict[str, Any], default_signer: bool) -> Signing:
    from crmcore.convert import structure

    from .domain.volumes import Signing

    app = current()
    signer = options["signer"]
    if signer is None and default_signer:
        signer = app.crm.users.get(app.actor, app.actor.login).name
    data = {
        "signer": signer,
        "sealed": options["sealed"],
        "signed_on": parse_date(options["signed_on"], "on"),
        "late": options["late"],
        "late_reason": options["late_reason"],
    }
    return structure({k: v for k, v in data.items() if v is not None}, Signing)


@volume.command(name="file")
@click.argument("client_code")
@signing_options
@figure_options
def volume_file(client_code: str, **options: Any) -> None:
    """The client files its signed and sealed form (by 10 December)."""
    _sign("client", client_code, options)


@volume.command(name="agree")
@click.argument("client_code")
@signing_options
@figure_options
def volume_agree(client_code: str, **options: Any) -> None:
    """The bureau signs the proposal agreed with the client (by the 20th); without figures
    it endorses what the client filed."""
    _sign("bureau", client_code, options)


@volume.command(name="approve")
@click.argument("client_code")
@signing_options
@figure_options
def volume_approve(client_code: str, **options: Any) -> None:
    """The ministry signs (by the 31st): the annual volume takes effect."""
    _sign("ministry", client_code, options)


def _sign(stage: str, client_code: str, options: dict[str, Any]) -> None:
    app = current()
    year = options["year"]
    signing = _signing(options, default_signer=stage != "client")
    figures = _figures(options, year, required=stage == "client")
    volumes = _rail().volumes
    if stage == "client":
        assert figures is not None
        form = volumes.file(app.actor, client_code, year, figures, signing)
    else:
        step = volumes.agree if stage == "bureau" else volumes.approve
        form = step(app.actor, client_code, year, signing, figures)
    _signed(form)


def _signed(form: VolumeForm) -> None:
    last = form.stages[-1]
    late = f" LATE (due {last.deadline})" if last.late else ""
    state = "in effect" if form.effective else f"next: {form.stage.next}"
    render.done(
        f"{form.client_code} {form.year}: signed by the {last.stage} on {last.signed_on}{late}; "
        f"total {form.figures.total} t; {state}"
    )
    if form.growth.warning:
        render.done(f"warning: {form.growth.warning} ({form.growth.rule})")


@volume.command(name="show")
@click.argument("client_code")
@click.option("--year", type=int, required=True)
@json_option
def volume_show(client_code: str, year: int, as_json: bool) -> None:
    """A form: figures, signatures, deadlines, verification and growth."""
    app = current()
    form = _rail().volumes.show(app.actor, client_code, year)
    if as_json:
        render.emit_json(form)
        return
    g, v = form.growth, form.verification
    render.fields(
        f"{form.client_code} {form.client_name}: annual volume {form.year}",
        [
            (
                "status",
                "in effect (all three signed)" if form.effective else f"signed by the {form.stage}",
            ),
            ("certificate", form.certificate or "none in force when filed"),
            ("total", f"{form.figures.total} t"),
            ("contracted", f"{v.contracted} t" if v.contracted is not None else None),
            (
                f"actual {v.last_year}",
                f"{v.last_year_actual} t ({v.last_year_months} months)"
                if v.last_year_actual is not None
                else None,
            ),
            (
                f"approved {v.last_year}",
                f"{v.last_year_approved} t" if v.last_year_approved is not None else None,
            ),
            (
                "growth",
                f"{g.growth_percent}% over {g.base_kind} {g.base_year}"
                if g.growth_percent is not None
                else None,
            ),
            (
                "regional growth",
                f"{g.regional_percent}% ({g.regional_region})"
                if g.regional_percent is not None
                else None,
            ),
            ("warning", f"{g.warning} ({g.rule})" if g.warning else None),
            ("notes", list(v.notes)),
        ],
    )
    render.table(
        "Signatures (签字盖章)",
        ["party", "deadline", "signed on", "signer", "sealed", "on time", "recorded"],
        [
            (
                d.stage,
                d.deadline,
                d.signed_on,
                next((render.shown(s, "signer") for s in form.stages if s.stage is d.stage), None),
                next((_yes(s.sealed) for s in form.stages if s.stage is d.stage), None),
                "-"
                if d.late is None and not d.overdue
                else "OVERDUE"
                if d.overdue
                else "LATE"
                if d.late
                else "yes",
                next(
                    (
                        f"{render.cell(s.recorded_at)} by {s.recorded_by}"
                        for s in form.stages
                        if s.stage is d.stage
                    ),
                    None,
                ),
            )
            for d in form.due
        ],
    )
    f = form.figures
    render.table(
        "Figures as last signed",
        ["line", "what", "tonnes", "trains"],
        [
            *(("direction", d.bureau, d.tonnage, None) for d in f.directions),
            *(
                ("consignee", f"{c.name}{' @' + c.station if c.station else ''}", c.tonnage, None)
                for c in f.consignees
            ),
            *(("direct train", p.label, p.tonnage, p.trains) for p in f.trains),
        ],
    )


@volume.command(name="list")
@click.option("--year", type=int, required=True)
@json_option
def volume_list(year: int, as_json: bool) -> None:
    """Every form for a plan year: who signed, what was late or is overdue, growth."""
    app = current()
    found = _rail().volumes.list(app.actor, year)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"Annual volume forms {year}",
        ["client", "name", "signed by", "total (t)", "late", "overdue", "growth %", "warning"],
        [
            (
                s.client_code,
                s.client_name,
                s.stage,
                s.total,
                s.late,
                s.overdue,
                s.growth_percent,
                s.growth_warning,
            )
            for s in found
        ],
    )


@volume.command(name="prefill")
@click.argument("client_code")
@click.option(
    "--year",
    type=int,
    required=True,
    help="The plan year to pre-fill (from the year before's actuals).",
)
@click.option("--annualise", is_flag=True, help="Scale a part year of actuals up to twelve months.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the form as JSON for `volume file --form`.",
)
@json_option
def volume_prefill(
    client_code: str, year: int, annualise: bool, output: str | None, as_json: bool
) -> None:
    """Next year's form pre-filled from this year's actual loadings."""
    from crmcore.convert import to_json, unstructure

    app = current()
    draft = _rail().volumes.prefill(app.actor, client_code, year, annualise=annualise)
    document = {
        "year": draft.year,
        "prefilled_from": {
            "year": draft.basis_year,
            "months": draft.basis_months,
            "annualised": draft.annualised,
        },
        **unstructure(draft.figures),
    }
    if output:
        Path(output).write_text(to_json(document) + "\n", encoding="utf-8")
        render.done(f"wrote the {year} form of {client_code} to {output}")
        return
    if as_json:
        render.emit_json(document)
        return
    f = draft.figures
    render.table(
        f"{client_code}: form for {year} from {draft.basis_year} actuals ({draft.basis_months} months"
        f"{', annualised' if draft.annualised else ''})",
        ["line", "what", "tonnes"],
        [
            ("total", "", f.total),
            *(("direction", d.bureau, d.tonnage) for d in f.directions),
            *(
                ("consignee", f"{c.name}{' @' + c.station if c.station else ''}", c.tonnage)
                for c in f.consignees
            ),
            *(("direct train", f"{p.label} x{p.trains}", p.tonnage) for p in f.trains),
        ],
    )


# -- region growth (RAIL-VOL-2) -----------------------------------------------------------


@group.group()
def growth() -> None:
    """The region's average railway growth per year, for the growth check (RAIL-VOL-2)."""


@growth.command(name="set")
@click.argument("region")
@click.argument("year", type=int)
@click.argument("percent")
@click.option("--source", help="Where the figure comes from.")
def growth_set(region: str, year: int, percent: str, source: str | None) -> None:
    """Enter REGION's average railway growth in YEAR, in percent (e.g. 广东 2027 3.5)."""
    app = current()
    value = _number(percent, "percent")
    entered = _rail().volumes.set_growth(app.actor, region, year, value, source=source)
    render.done(f"{entered.region} {entered.year}: average railway growth {entered.percent}%")


@growth.command(name="list")
@click.option("--year", type=int)
@json_option
def growth_list(year: int | None, as_json: bool) -> None:
    """The figures in force."""
    app = current()
    found = _rail().volumes.growth_figures(app.actor, year=year)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        "Average railway growth by region",
        ["region", "year", "growth %", "source", "entered"],
        [
            (g.region, g.year, g.percent, g.source, f"{render.cell(g.set_at)} by {g.set_by}")
            for g in found
        ],
    )


# -- monthly plans, actuals, settlements, report (RAIL-OPS-1) -----------------------------


@group.group()
def plan() -> None:
    """Monthly plans (月计划) from the approved annual volume (RAIL-OPS-1)."""


@plan.command(name="make")
@click.argument("client_code")
@click.option("--year", type=int, required=True)
@click.option(
    "--replace", is_flag=True, help="Make them again from the annual volume (new versions)."
)
def plan_make(client_code: str, year: int, replace: bool) -> None:
    """Spread the approved annual volume evenly over the twelve months."""
    app = current()
    made = _rail().operations.make_plans(app.actor, client_code, year, replace=replace)
    render.done(f"{client_code} {year}: {len(made)} monthly plans, {sum(p.total for p in made)} t")


@plan.command(name="set")
@click.argument("client_code")
@click.argument("month")
@click.option("--total", required=True, help="Tonnes planned for the month.")
@click.option("--direction", "directions", multiple=True, metavar="BUREAU=TONNES")
@click.option("--consignee", "consignees", multiple=True, metavar="NAME=TONNES")
@click.option("--note")
def plan_set(
    client_code: str,
    month: str,
    total: str,
    directions: tuple[str, ...],
    consignees: tuple[str, ...],
    note: str | None,
) -> None:
    """Re-plan one MONTH (YYYY-MM); the earlier version stays on record."""
    app = current()
    made = _rail().operations.set_plan(
        app.actor,
        client_code,
        month,
        _number(total, "total"),
        directions={
            k: _number(v, f"direction {k}") for k, v in pairs(directions, "direction").items()
        },
        consignees={
            k: _number(v, f"consignee {k}") for k, v in pairs(consignees, "consignee").items()
        },
        note=note,
    )
    render.done(f"{client_code} {made.label}: plan version {made.version}, {made.total} t")


@plan.command(name="show")
@click.argument("client_code")
@click.option("--year", type=int, required=True)
@json_option
def plan_show(client_code: str, year: int, as_json: bool) -> None:
    """The plan in force for each month."""
    app = current()
    found = _rail().operations.plans(app.actor, client_code, year)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"{client_code}: monthly plans {year}",
        ["month", "total (t)", "directions", "consignees", "version", "source", "note"],
        [
            (p.label, p.total, p.directions, p.consignees, p.version, p.source, p.note)
            for p in found
        ],
    )


@group.group()
def actuals() -> None:
    """Actual loadings (日装车), daily or monthly (RAIL-OPS-1)."""


@actuals.command(name="import")
@click.argument("client_code")
@click.argument("path", type=click.Path(dir_okay=False))
def actuals_import(client_code: str, path: str) -> None:
    """Import a CSV of loadings: a header with date (daily) or month (monthly totals),
    origin, destination, tonnage, and optionally consignee, wagons, freight, waybill."""
    import hashlib

    from .domain.operations import parse_loadings

    app = current()
    text = _read(path, "path")
    rows = parse_loadings(text, Path(path).name)
    result = _rail().operations.import_loadings(
        app.actor,
        client_code,
        rows,
        filename=Path(path).name,
        first_line=2,
        digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    render.done(
        f"{client_code}: {result.rows} {result.granularity} rows, {result.tonnage} t "
        f"({', '.join(result.months)}), batch {result.batch}"
    )


@group.group()
def settlement() -> None:
    """Freight settlements (运费结算) (RAIL-OPS-1)."""


@settlement.command(name="add")
@click.argument("client_code")
@click.option("--month", required=True, help="The month whose freight is settled, YYYY-MM.")
@click.option("--amount", required=True, help="CNY, e.g. 9000000.00.")
@click.option("--reference", required=True, help="The settlement's number.")
@click.option("--on", "settled_on", help="Settled on (default today), YYYY-MM-DD.")
def settlement_add(
    client_code: str, month: str, amount: str, reference: str, settled_on: str | None
) -> None:
    """Record a freight settlement."""
    app = current()
    done = _rail().operations.settle(
        app.actor,
        client_code,
        month,
        _number(amount, "amount"),
        reference,
        settled_on=parse_date(settled_on, "on"),
    )
    render.done(f"{client_code} {done.month}: settlement {done.reference} {done.amount} CNY")


@settlement.command(name="reverse")
@click.argument("client_code")
@click.argument("reference")
@click.option("--reason", required=True)
def settlement_reverse(client_code: str, reference: str, reason: str) -> None:
    """Reverse a settlement in red (红字冲销)."""
    app = current()
    done = _rail().operations.reverse_settlement(app.actor, client_code, reference, reason)
    render.done(f"{client_code}: {done.reference} reverses {done.reverses} ({done.amount} CNY)")


@settlement.command(name="list")
@click.argument("client_code")
@click.option("--year", type=int, required=True)
@json_option
def settlement_list(client_code: str, year: int, as_json: bool) -> None:
    """A year's settlements."""
    app = current()
    found = _rail().operations.settlements(app.actor, client_code, year)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"{client_code}: freight settlements {year}",
        ["month", "reference", "amount (CNY)", "settled on", "reverses", "reason"],
        [
            (s.month, s.reference, render.shown(s, "amount"), s.settled_on, s.reverses, s.reason)
            for s in found
        ],
    )


@group.command()
@click.argument("client_code")
@click.option("--year", type=int, required=True)
@click.option(
    "--by",
    type=click.Choice(("month", "direction", "consignee")),
    default="month",
    show_default=True,
)
@click.option("--chart/--no-chart", default=True, show_default=True, help="Bars in the terminal.")
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False),
    help="Also write an .xlsx with a bar chart.",
)
@json_option
def report(
    client_code: str, year: int, by: str, chart: bool, xlsx_path: str | None, as_json: bool
) -> None:
    """Fulfilment: plan against actual by month, direction or consignee (RAIL-OPS-1)."""
    from . import charts

    app = current()
    found = _rail().operations.fulfilment(app.actor, client_code, year, by=by)
    if xlsx_path:
        charts.xlsx(found, xlsx_path)
    if as_json:
        render.emit_json(found)
        return
    months = by == "month"
    render.table(
        f"{found.client_code} {found.client_name}: fulfilment {year} by {by} "
        f"(approved {found.approved_total} t)",
        [
            by,
            "plan (t)",
            "actual (t)",
            "difference (t)",
            "rate %",
            *(("freight", "settled") if months else ()),
        ],
        [
            (
                r.key,
                r.plan,
                r.actual,
                r.difference,
                r.rate,
                *((render.shown(r, "freight"), render.shown(r, "settled")) if months else ()),
            )
            for r in [*found.rows, found.total]
        ],
    )
    if chart:
        charts.bars(found)
    if xlsx_path:
        render.done(f"wrote {xlsx_path}")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _number(text: str, field: str) -> Decimal:
    """A decimal typed on the command line (thousands separators allowed), exactly."""
    from decimal import Decimal, InvalidOperation

    from crmcore import InvalidInput

    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(field, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise InvalidInput(field, f"{text!r} is not a number")
    return value

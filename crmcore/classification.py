"""Classification schemes (客户分级方案) that the core and plugins declare, and how they classify.

A scheme turns one year's inputs into a class for every client at once, in one SQL statement
(no Python loop per client), so re-grading a million clients takes seconds. Two types are
built in, each configured by a policy (:mod:`crmcore.policies`), so an admin changes the
numbers and a new run applies them:

* :class:`ThresholdScheme`: classes by lower bounds on a measured amount. The core's
  CLS-AMT-1 (ordinary / partner / strategic, on ``purchase_amount``) and CLS-AMT-2 (diamond /
  platinum / gold / VIP, on ``revenue``, with the branch scale and the management level).
  Bounds are inclusive below (5M is ordinary, rules audit A2); below the lowest is ``below``.
* :class:`QuotaScheme`: rank by a score, then split by shares. The core's CLS-SCORE-1: the
  weighted mean of eight criteria, top 20% A, 30% B, 40% C, 10% D. Class sizes are the
  cumulative shares of the number of clients scored, rounded half up; ties are decided by the
  policy (see :class:`crmcore.policies.ScoreShares`). Within a class, clients are served in
  descending order of score, equal scores by client code (CLS-SCORE-2).

What a scheme measures is a *measure*: :class:`FigureMeasure` (one yearly figure, CORE-REC-3)
or :class:`ScorecardMeasure` (the CLS-SCORE-1 scorecard); a plugin may write its own (any
object with ``select(ctx)`` and ``describe(tx, input_id, policy)``, see :class:`Measure`).
A plugin registers schemes through ``crm_classifiers``::

    from decimal import Decimal
    from crmcore.classification import FigureMeasure, ThresholdScheme

    CONSUMPTION = ThresholdScheme(
        key="PWR-KA-2",
        title="Consumption tiers",
        policy="PWR-KA-2",  # a policy the plugin registers with crm_policies
        measure=FigureMeasure("sales_amount"),
        bounds=lambda p: (("large", p.large_from), ("medium", p.medium_from)),
    )

    @hookimpl
    def crm_classifiers(register):
        register(CONSUMPTION)

Runs are made with ``crm.classification.run(actor, "PWR-KA-2", as_of=...)`` or ``crm classify
run``; each is kept with the policy value it used, every client's class, value, rank and the
input row it came from, so ``crm classify explain CLIENT`` can say why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Protocol

from attrs import field, frozen
from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.sql import ColumnElement, Subquery

from crmcore.domain.figures import CRITERIA, METRICS, Metric, shown
from crmcore.errors import PluginError
from crmcore.store import tables as t
from crmcore.store.types import scaled_integer

if TYPE_CHECKING:
    from crmcore.app import Tx
    from crmcore.policies import PolicySpec

#: Measured values travel through SQL as exact integers: value * 10**VALUE_SCALE.
VALUE_SCALE = 4
BELOW = "below"  # under the lowest threshold of a threshold scheme
#: Profile values that mean "yes" for CLS-AMT-2's beyond-the-city override.
YES = ("1", "true", "yes", "y", "是")


def to_scaled(value: Decimal) -> int:
    """An amount as the scaled integer measures compare with (rounded up: value >= bound)."""
    return int((value * 10**VALUE_SCALE).to_integral_value(rounding=ROUND_CEILING))


def from_scaled(value: int) -> Decimal:
    return (Decimal(value) / 10**VALUE_SCALE).quantize(Decimal(1).scaleb(-VALUE_SCALE))


@frozen
class RunContext:
    """What a measure and a scheme see while a run is built."""

    tx: Tx
    scheme: str
    as_of: date
    year: int
    policy: Any  # the policy object in force on ``as_of``

    @property
    def dialect(self) -> str:
        return self.tx.conn.dialect.name


class Measure(Protocol):
    """What a scheme classifies by.

    ``select(ctx)`` returns a SELECT with the columns ``client_id``, ``value`` (an exact
    integer, the value times ``10**VALUE_SCALE``: use ``crmcore.store.types.scaled_integer``)
    and ``input_id`` (the row it was measured from, or NULL), at most one row per client.
    ``describe`` turns that input row into lines for ``crm classify explain``.
    """

    label: str

    def select(self, ctx: RunContext) -> Select[Any]: ...

    def describe(self, tx: Tx, input_id: int | None, policy: Any) -> list[str]: ...


@frozen
class FigureMeasure:
    """One yearly figure (CORE-REC-3) of the run's year, the current (not superseded) one."""

    metric: str = field(converter=lambda m: Metric(m).value)

    @property
    def label(self) -> str:
        return self.metric

    def select(self, ctx: RunContext) -> Select[Any]:
        f = t.client_figures.c
        return select(
            f.client_id,
            scaled_integer(f.value, VALUE_SCALE, ctx.dialect).label("value"),
            f.id.label("input_id"),
        ).where(f.metric == self.metric, f.year == ctx.year, f.superseded_at.is_(None))

    def describe(self, tx: Tx, input_id: int | None, policy: Any) -> list[str]:
        f = t.client_figures.c
        row = tx.conn.execute(
            select(t.client_figures, t.users.c.login)
            .join(t.users, t.users.c.id == f.recorded_by)
            .where(f.id == input_id)
        ).first()
        if row is None:
            return [f"{self.metric}: input {input_id} not found"]
        spec = METRICS[Metric(self.metric)]
        return [
            f"{self.metric} ({spec.label_zh}) {row.year}: {shown(row.value)} "
            f"(source: {row.source}; recorded by {row.login})"
        ]


@frozen
class ScorecardMeasure:
    """The CLS-SCORE-1 scorecard of the run's year, weighted by the policy's weights.

    Scores have one decimal and weights one decimal, so ``sum(score * weight) / 100`` has at
    most four: the value is exact on both backends and ranks identically.
    """

    weights: Callable[[Any], Mapping[str, Decimal]] = lambda policy: policy.weights()

    label = "scorecard"

    def select(self, ctx: RunContext) -> Select[Any]:
        s = t.client_scorecards.c
        weights = self.weights(ctx.policy)
        # (score * 10) * (weight * 10) = 100 * score * weight = (score * weight / 100) * 10**4
        terms = [
            scaled_integer(s[name], 1, ctx.dialect) * literal_column(str(int(weights[name] * 10)))
            for name in CRITERIA
        ]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return select(s.client_id, total.label("value"), s.id.label("input_id")).where(
            s.year == ctx.year, s.superseded_at.is_(None)
        )

    def describe(self, tx: Tx, input_id: int | None, policy: Any) -> list[str]:
        s = t.client_scorecards.c
        row = tx.conn.execute(
            select(t.client_scorecards, t.users.c.login)
            .join(t.users, t.users.c.id == s.recorded_by)
            .where(s.id == input_id)
        ).first()
        if row is None:
            return [f"scorecard {input_id} not found"]
        weights = self.weights(policy)
        parts = [f"{name} {row._mapping[name]} x {weights[name]}%" for name in CRITERIA]
        total = sum((row._mapping[n] * weights[n] / 100 for n in CRITERIA), Decimal(0))
        return [
            f"scorecard {row.year} (source: {row.source}; recorded by {row.login}):",
            "  " + " + ".join(parts) + f" = {shown(total)}",
        ]


@frozen(kw_only=True)
class Scheme:
    """What every scheme has. Subclass it (or use the two types below) and implement
    :meth:`classes`, :meth:`plan`, :meth:`classify` and :meth:`reason`."""

    key: str  # the rule ID it implements, e.g. "CLS-AMT-1"
    title: str
    policy: str  # the key of the policy that configures it
    measure: Measure
    title_zh: str = ""

    def classes(self, policy: Any) -> tuple[str, ...]:
        """Every class it can give, best first (the serving order of classes)."""
        raise NotImplementedError

    def plan(self, policy: Any, population: int) -> dict[str, Any]:
        """What the run applies (bounds, cuts), as plain data kept with the run."""
        raise NotImplementedError

    def classify(self, ctx: RunContext, measured: Subquery, plan: Mapping[str, Any]) -> Select[Any]:
        """From ``measured`` (client_id, value, input_id, code: active clients only), a SELECT
        of client_id, class, value, rank, input_id, note."""
        raise NotImplementedError

    def reason(self, plan: Mapping[str, Any], result: Mapping[str, Any], population: int) -> str:
        """One sentence: why ``result`` (class, value, rank, note) came out of ``plan``."""
        raise NotImplementedError


@frozen(kw_only=True)
class ThresholdScheme(Scheme):
    """Classes by lower bounds (inclusive) on the measured amount, best first."""

    bounds: Callable[[Any], Sequence[tuple[str, Decimal]]]
    #: Optional SQL for the note of each result, e.g. who manages the client (CLS-AMT-2). It
    #: gets the context, the scaled value and the class expression; ``clients`` is joined.
    note: (
        Callable[[RunContext, ColumnElement[Any], ColumnElement[Any]], ColumnElement[Any]] | None
    ) = None

    def classes(self, policy: Any) -> tuple[str, ...]:
        return (*(name for name, _ in self.bounds(policy)), BELOW)

    def plan(self, policy: Any, population: int) -> dict[str, Any]:
        return {"bounds": {name: str(bound) for name, bound in self.bounds(policy)}}

    def classify(self, ctx: RunContext, measured: Subquery, plan: Mapping[str, Any]) -> Select[Any]:
        m = measured.c
        bounds = [(name, to_scaled(Decimal(b))) for name, b in plan["bounds"].items()]
        cls = case(*((m.value >= bound, literal(name)) for name, bound in bounds), else_=BELOW)
        note = (self.note(ctx, m.value, cls) if self.note else no_note()).label("note")
        stmt = select(m.client_id, cls.label("class"), m.value, no_rank(), m.input_id, note)
        if self.note:
            stmt = stmt.join_from(measured, t.clients, t.clients.c.id == m.client_id)
        return stmt

    def reason(self, plan: Mapping[str, Any], result: Mapping[str, Any], population: int) -> str:
        bounds = [(name, Decimal(b)) for name, b in plan["bounds"].items()]
        value = shown(result["value"])
        cls = result["class"]
        names = [name for name, _ in bounds]
        if cls == BELOW:
            lowest = bounds[-1]
            return f"{value} is below {lowest[0]}'s lower bound {shown(lowest[1])}: no tier"
        i = names.index(cls)
        text = f"{value} >= {cls}'s lower bound {shown(bounds[i][1])}"
        if i > 0:
            text += f" and < {names[i - 1]}'s {shown(bounds[i - 1][1])}"
        return text + f": {cls}"


@frozen(kw_only=True)
class QuotaScheme(Scheme):
    """Rank by the measured score (highest first), then split by cumulative shares."""

    shares: Callable[[Any], Sequence[tuple[str, Decimal]]]
    ties: Callable[[Any], str] = lambda policy: "share_better_class"

    def classes(self, policy: Any) -> tuple[str, ...]:
        return tuple(name for name, _ in self.shares(policy))

    def plan(self, policy: Any, population: int) -> dict[str, Any]:
        return {"cuts": cuts(self.shares(policy), population), "ties": self.ties(policy)}

    def classify(self, ctx: RunContext, measured: Subquery, plan: Mapping[str, Any]) -> Select[Any]:
        m = measured.c
        if plan["ties"] == "by_code":
            rank = func.row_number().over(order_by=(m.value.desc(), m.code))
        else:
            rank = func.rank().over(order_by=m.value.desc())
        ranked = select(m.client_id, m.value, m.input_id, rank.label("rank")).subquery("ranked")
        r = ranked.c
        names = list(plan["cuts"])
        cls = case(
            *((r.rank <= plan["cuts"][name], literal(name)) for name in names[:-1]),
            else_=names[-1],
        )
        return select(r.client_id, cls.label("class"), r.value, r.rank, r.input_id, no_note())

    def reason(self, plan: Mapping[str, Any], result: Mapping[str, Any], population: int) -> str:
        names = list(plan["cuts"])
        cls, rank = result["class"], result["rank"]
        i = names.index(cls)
        upper = plan["cuts"][names[i - 1]] if i > 0 else 0
        limit = plan["cuts"][cls]
        tie = "ties share the better class" if plan["ties"] != "by_code" else "ties by client code"
        return (
            f"score {shown(result['value'])} ranks {rank} of {population} ({tie}); class {cls} is ranks "
            f"{upper + 1}-{limit}: {cls}"
        )


def no_rank() -> ColumnElement[Any]:
    """NULL typed as the rank column (PostgreSQL would take an untyped NULL for text)."""
    return cast(null(), Integer).label("rank")


def no_note() -> ColumnElement[Any]:
    return cast(null(), String).label("note")


def cuts(shares: Sequence[tuple[str, Decimal]], population: int) -> dict[str, int]:
    """The last rank of each class: the cumulative share of ``population``, rounded half up
    (CLS-SCORE-1; rules audit A6). With 10 clients and 20/30/40/10: A 1-2, B 3-5, C 6-9, D 10."""
    result: dict[str, int] = {}
    running = Decimal(0)
    for name, share in shares:
        running += share
        result[name] = int(
            (Decimal(population) * running / 100).to_integral_value(rounding=ROUND_HALF_UP)
        )
    last = list(result)[-1]
    result[last] = population  # whatever rounding did, the last class closes the ranking
    return result


# -- the core's schemes ----------------------------------------------------------------------


def _purchase_bounds(p: Any) -> tuple[tuple[str, Decimal], ...]:
    return (
        ("strategic", p.strategic_from),
        ("partner", p.partner_from),
        ("ordinary", p.ordinary_from),
    )


def _revenue_bounds(p: Any) -> tuple[tuple[str, Decimal], ...]:
    scale = p.branch_scale
    all_tiers = p.scale_applies_to == "all"

    def scaled(value: Decimal, applies: bool) -> Decimal:
        return value * scale if applies else value

    return (
        ("diamond", scaled(p.diamond_from, all_tiers)),
        ("platinum", scaled(p.platinum_from, all_tiers)),
        ("gold", scaled(p.gold_from, all_tiers)),
        ("vip", scaled(p.vip_from, True)),
    )


def _managed_by(
    ctx: RunContext, value: ColumnElement[Any], cls: ColumnElement[Any]
) -> ColumnElement[Any]:
    """CLS-AMT-2: the level that manages the client (分级管理: provincial, city, county, the
    levels ``crm org assign --tier`` moves a client to); beyond the city with revenue of 3M or
    more counts as diamond (rules audit 1.2). Platinum's "city under provincial oversight"
    is the city level: a provincial unit sees every client of the units below it."""
    p = ctx.policy
    beyond = t.clients.c.profile["mails_beyond_city"].as_string().in_(YES)
    elevated = and_(beyond, value >= to_scaled(p.beyond_city_diamond_from))
    return case(
        (cls == "diamond", p.diamond_managed_by.value),
        (elevated, p.diamond_managed_by.value),
        (cls == "platinum", p.platinum_managed_by.value),
        (cls == "gold", p.gold_managed_by.value),
        (cls == "vip", p.vip_managed_by.value),
        else_=null(),
    )


PURCHASE_TIERS = ThresholdScheme(
    key="CLS-AMT-1",
    title="Key-account tiers by annual purchases from the client",
    title_zh="大客户分级(年采购额)",
    policy="CLS-AMT-1",
    measure=FigureMeasure(Metric.PURCHASE_AMOUNT),
    bounds=_purchase_bounds,
)
REVENUE_TIERS = ThresholdScheme(
    key="CLS-AMT-2",
    title="Key-account tiers by annual revenue, and who manages them",
    title_zh="大客户分级(年收入)",
    policy="CLS-AMT-2",
    measure=FigureMeasure(Metric.REVENUE),
    bounds=_revenue_bounds,
    note=_managed_by,
)
SCORED_CLASSES = QuotaScheme(
    key="CLS-SCORE-1",
    title="Scored classes A-D",
    title_zh="客户评分分级",
    policy="CLS-SCORE-1",
    measure=ScorecardMeasure(),
    shares=lambda p: p.shares(),
    ties=lambda p: p.ties,
)

#: Registered before any plugin's.
CORE_SCHEMES: tuple[Scheme, ...] = (PURCHASE_TIERS, REVENUE_TIERS, SCORED_CLASSES)


@frozen
class Registered:
    owner: str
    scheme: Scheme


def check_scheme(
    owner: str,
    scheme: object,
    known: Mapping[str, Registered],
    policies: Mapping[str, PolicySpec],
) -> None:
    """Refuse a scheme that cannot run, naming the plugin that registered it."""
    from crmcore.policies import KEY_PATTERN

    if not isinstance(scheme, Scheme):
        raise PluginError(owner, f"crm_classifiers registered {scheme!r}, not a Scheme")

    def fail(message: str) -> PluginError:
        return PluginError(owner, f"classification scheme {scheme.key}: {message}")

    if not KEY_PATTERN.fullmatch(scheme.key):
        raise fail("the key must be a rule ID such as CLS-AMT-1")
    if scheme.key in known:
        raise fail(f"is already registered by {known[scheme.key].owner}")
    spec = policies.get(scheme.policy)
    if spec is None:
        raise fail(f"names policy {scheme.policy!r}, which nobody registered")
    if not callable(getattr(scheme.measure, "select", None)):
        raise fail("its measure has no select(ctx)")
    try:
        classes = scheme.classes(spec.default())
        scheme.plan(spec.default(), 10)
    except Exception as exc:
        raise fail(f"cannot be planned with the policy's defaults: {exc}") from None
    if not classes or len(set(classes)) != len(classes):
        raise fail(f"its classes must be distinct and not empty: {classes}")
    if any(not c or len(c) > 32 for c in classes):
        raise fail("a class name is 1-32 characters")

"""A throw-away plugin declaring the four workflow shapes the industry plugins need, and helpers.

* ``retest.price``: RE-PRICE-5, submit then five approvals in turn, a guard, rejection to draft;
* ``retest.release``: RE-ALLOC-1, four directors all sign, in any order;
* ``retest.supply``: PWR-APP-2, reply within 20 (single source) or 30 (dual) working days of
  the application (or from the ``accepted_on`` date in its data), a policy of the plugin's
  own, and the 5-day handover clock;
* ``retest.cert``: RAIL-QUAL-2, bureau verifies then ministry approves;
* ``retest.credit``: DIST-CRED-2, department head, and above a threshold the general manager.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crmcore import Crm, NewClient, NewUnit, NewUser

CHINA = ZoneInfo("Asia/Shanghai")

SOURCE = '''
from decimal import Decimal

from attrs import field, frozen

from crmcore import AllOf, Chain, Clock, PluginInfo, State, Transition, Workflow, hookimpl
from crmcore import policies

ROLES = {
    "key_account_director": "大客户部总监",
    "marketing_director": "营销总监",
    "finance_director": "财务总监",
    "project_gm": "项目总经理",
    "gm": "总经理",
    "chairman": "董事长",
    "supply_office": "供电所",
    "bureau": "铁路局",
    "ministry": "铁道部",
    "dept_head": "部门经理",
    "general_manager": "总经理(分销)",
}


@frozen(kw_only=True)
class SupplyPlanDeadlines:
    """PWR-APP-2: supply plan within 20 / 30 working days; handed over within 5."""

    single_source_days: int = field(default=20, validator=policies.days())
    dual_source_days: int = field(default=30, validator=policies.days())
    handover_days: int = field(default=5, validator=policies.days())


@frozen(kw_only=True)
class CreditOverride:
    """DIST-CRED-2: above this excess the general manager approves too."""

    gm_above: Decimal = field(default=Decimal("100000"), validator=policies.amount())


def needs_average_price(ctx):
    if not ctx.data.get("average_price"):
        return "no average price set yet: the meeting sets it first (RE-PRICE-5)"
    return None


def reply_days(ctx):
    plan = ctx.policy("PWR-APP-2")
    return plan.dual_source_days if ctx.data.get("sources") == "2" else plan.single_source_days


def accepted_on(ctx):
    from datetime import date

    value = ctx.data.get("accepted_on")
    return date.fromisoformat(value) if value else None


def small_excess(ctx):
    return Decimal(ctx.data.get("excess", "0")) <= ctx.policy("DIST-CRED-2").gm_above


PRICE = Workflow(
    name="retest.price",
    title="Average price approval",
    title_zh="均价审批",
    rule="RE-PRICE-5",
    initial="draft",
    states=(State("draft", label="起草"), State("approved", terminal=True, label="已批准")),
    transitions=(
        Transition("submit", "draft", "approval", role="key_account_director", guards=(needs_average_price,)),
    ),
    chains=(
        Chain(
            "approval",
            roles=("marketing_director", "finance_director", "project_gm", "gm", "chairman"),
            then="approved",
            on_reject="draft",
            step_days=2,
        ),
    ),
    start_roles=("key_account_director",),
)

RELEASE = Workflow(
    name="retest.release",
    title="Release of units",
    rule="RE-ALLOC-1",
    initial="release",
    states=(State("released", terminal=True), State("refused", terminal=True)),
    all_of=(
        AllOf(
            "release",
            roles=("marketing_director", "finance_director", "project_gm", "gm"),
            then="released",
            on_reject="refused",
            days=3,
        ),
    ),
)

SUPPLY = Workflow(
    name="retest.supply",
    title="Supply plan",
    rule="PWR-APP-2",
    initial="applied",
    states=(State("applied"), State("plan_ready"), State("notified", terminal=True)),
    transitions=(
        Transition("plan", "applied", "plan_ready", role="supply_office"),
        Transition("notify", "plan_ready", "notified", role="supply_office"),
    ),
    clocks=(
        Clock(
            "reply",
            start="applied",
            stop="notified",
            days=reply_days,
            rule="PWR-APP-2",
            since=accepted_on,
        ),
        Clock("handover", start="plan_ready", stop="notified", days="PWR-APP-2.handover_days"),
    ),
)

CERT = Workflow(
    name="retest.cert",
    title="Key-account certificate",
    rule="RAIL-QUAL-2",
    initial="verification",
    states=(State("certified", terminal=True), State("refused", terminal=True)),
    chains=(Chain("verification", roles=("bureau", "ministry"), then="certified", on_reject="refused"),),
)

CREDIT = Workflow(
    name="retest.credit",
    title="Credit limit override",
    rule="DIST-CRED-2",
    initial="head",
    states=(
        State("head"),
        State("gm_review"),
        State("approved", terminal=True),
        State("refused", terminal=True),
    ),
    transitions=(
        Transition("approve", "head", "approved", role="dept_head", when=small_excess),
        Transition("approve", "head", "gm_review", role="dept_head"),
        Transition("reject", "head", "refused", role="dept_head", reject=True),
        Transition("approve", "gm_review", "approved", role="general_manager"),
        Transition("reject", "gm_review", "refused", role="general_manager", reject=True),
    ),
)


@hookimpl
def crm_plugin_info():
    return PluginInfo(name="retest", version="1.0", description="workflow shapes for tests")


@hookimpl
def crm_roles(register):
    for role, label in ROLES.items():
        register(role, ["client.read", "workflow.read", "workflow.start"], label_zh=label)


@hookimpl
def crm_policies(register):
    register("PWR-APP-2", SupplyPlanDeadlines, title="Supply plan deadlines", title_zh="供电方案答复时限")
    register("DIST-CRED-2", CreditOverride, title="Credit override approval")


@hookimpl
def crm_workflows(register):
    for workflow in (PRICE, RELEASE, SUPPLY, CERT, CREDIT):
        register(workflow)
'''

#: login -> role, one person per role (and a spare marketing director).
STAFF = {
    "kad": "key_account_director",
    "mkt": "marketing_director",
    "mkt2": "marketing_director",
    "fin": "finance_director",
    "pgm": "project_gm",
    "gm": "gm",
    "chair": "chairman",
    "office": "supply_office",
    "bureau": "bureau",
    "ministry": "ministry",
    "head": "dept_head",
    "boss": "general_manager",
}


def china(*args: int) -> datetime:
    """An aware moment in China time: china(2026, 9, 28, 10)."""
    return datetime(*args, tzinfo=CHINA)  # type: ignore[misc]


def freeze(crm: Crm, moment: datetime) -> None:
    """Make every transaction of ``crm`` happen at ``moment``."""
    crm.clock = lambda: moment.astimezone(UTC)


def open_with_plugin(crm_url: str, plugin_installer) -> Crm:  # type: ignore[no-untyped-def]
    """Install and enable the retest plugin, add its staff and one client; reopen.

    The staff work at the head office (总部), which holds client KA1: an approver must be able
    to read the client they approve (CORE-CONF-2, ``access.may_act``).
    """
    plugin_installer("retest", SOURCE)
    with Crm.open(crm_url) as crm:
        crm.plugins.enable(crm.actor("admin"), "retest")
    crm = Crm.open(crm_url)
    admin = crm.actor("admin")
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
    for login, role in STAFF.items():
        crm.users.add(admin, NewUser(login=login, name=login, roles=(role,)))
        crm.org.add_member(admin, "HQ", login)
    crm.org.add_member(admin, "HQ", "admin")
    crm.clients.add(admin, NewClient(name="广州恒达电子科技有限公司", code="KA1"))
    return crm

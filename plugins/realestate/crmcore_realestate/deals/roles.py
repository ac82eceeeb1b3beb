"""Roles the deals part declares (crm_roles) and the permissions they grant.

The approvers of RE-SEL-2 and RE-PRICE-5 need ``client.read`` and ``workflow.read`` to see what
they approve, and read the cost and the unapproved prices (RE-PRICE-6 forbids revealing them to
the client, not to the people who decide). Account managers work on candidates but see
neither the cost nor an unapproved price.
"""

from __future__ import annotations

READ = "realestate.deals.read"
WRITE = "realestate.deals.write"
COST = "realestate.deals.cost"  # the unit cost and what reveals it (RE-PRICE-6)
PRICE = "realestate.deals.price"  # an average price before its approval (RE-PRICE-6)
#: RE-PRICE-5's inputs, each entered by its own department. Not under ``realestate.``: the
#: key-account director holds ``realestate.*`` and must not type the cost or the retail
#: reference into the analysis they write.
COST_INPUT = "cost_dept.unit_cost"  # 成本部: the unit cost
RETAIL_INPUT = "sales_dept.retail_reference"  # 销售部: the retail reference price

#: The approvers and the key-account director are the roles the rest of the plugin uses for
#: RE-ALLOC-1 (and the core's ``director``, 大客户总监): registering a role twice adds
#: permissions, so one person approves releases and prices in one capacity.
KEY_ACCOUNT_VGM = "re_key_account_vgm"
KEY_ACCOUNT_DIRECTOR = "director"
MARKETING_DIRECTOR = "marketing_director"
FINANCE_DIRECTOR = "finance_director"
PROJECT_GM = "project_gm"
GM = "gm"
CHAIRMAN = "chairman"
LAWYER = "lawyer"

_BASE = ("client.read", "workflow.read", READ)
_DEAL_MAKER = (*_BASE, "workflow.start", "memo.write", WRITE, COST, PRICE)
_APPROVER = (*_BASE, COST, PRICE)

#: role -> (permissions, label_zh)
ROLES: dict[str, tuple[tuple[str, ...], str]] = {
    KEY_ACCOUNT_VGM: (_DEAL_MAKER, "主管大客户副总经理"),
    KEY_ACCOUNT_DIRECTOR: (_DEAL_MAKER, "大客户部总监"),
    MARKETING_DIRECTOR: (_APPROVER, "营销总监"),
    FINANCE_DIRECTOR: (_APPROVER, "财务总监"),
    PROJECT_GM: (_APPROVER, "项目总经理"),
    GM: (_APPROVER, "总经理"),
    CHAIRMAN: (_APPROVER, "董事长"),
    "re_design_director": (_BASE, "研发设计总监"),
    "re_property_gm": (_BASE, "物业公司总经理"),
    LAWYER: (_BASE, "律师"),
    "account_manager": ((READ, WRITE), ""),
    # RE-PRICE-5's inputs: the cost department (its estimate is secret, RE-PRICE-6) and sales'
    # retail desk (the plugin's re_retail, 散售销售), who know the retail market
    "re_cost": ((READ, COST, COST_INPUT), "成本部"),
    "re_retail": ((READ, RETAIL_INPUT), "散售销售"),
}

#: (entity, field, clearance, permission, when, rule, label_zh) for crm_sensitive_fields.
ANALYSIS = "realestate.deal_price_analysis"
PRICE_INPUT = "realestate.deal_price_input"


def unapproved(record: object) -> bool:
    return getattr(record, "status", None) != "approved"


def a_cost(record: object) -> bool:
    """A unit cost input (its value and note are secret); a retail reference is not."""
    return str(getattr(record, "kind", "")) == "unit_cost"


SENSITIVE = (
    (PRICE_INPUT, "value", "secret", COST, a_cost, "RE-PRICE-6", "单位成本"),
    (PRICE_INPUT, "note", "secret", COST, a_cost, "RE-PRICE-6", "成本测算说明"),
    (ANALYSIS, "unit_cost", "secret", COST, None, "RE-PRICE-6", "单位成本"),
    (ANALYSIS, "cost_plus_reference", "secret", COST, None, "RE-PRICE-6", "经验定价参考价"),
    (ANALYSIS, "average_price", "secret", PRICE, unapproved, "RE-PRICE-6", "未批准均价"),
)

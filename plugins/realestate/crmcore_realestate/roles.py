"""The plugin's roles and what they may do (role -> (permissions, Chinese label)).

Existing core roles (director, finance, audit_legal, read_only) gain the plugin's permissions
here too; registering a role twice adds permissions.
"""

from __future__ import annotations

from crmcore_realestate import services as s

SEEING = ["client.read", "workflow.read", s.READ]

ROLES: dict[str, tuple[list[str], str]] = {
    # 大客户部: inventory, lists, tickets, receipts, releases, reversals
    "re_sales": (
        [
            *SEEING,
            "workflow.start",
            s.INVENTORY,
            s.RESERVE,
            s.RELEASE,
            s.LIST,
            s.TICKET,
            s.SIGN,
            "archive.write",  # the scan of the buyer's signed copy (RE-TICKET-1)
            s.PAY,
            s.REVERSE,
            s.RELATION,
        ],
        "大客户部销售",
    ),
    "re_retail": ([*SEEING, s.RESERVE], "散售销售"),
    # the independent second check of tickets and countersigning of vouchers (e.g. finance)
    "re_checker": ([*SEEING, s.CHECK], "复核员"),
    "lawyer": ([*SEEING, s.LIST_CHECK], "律师"),
    "finance": ([s.READ, s.TARGET, s.LIST_CHECK, s.CHECK, s.RECONCILE], "财务部"),
    "audit_legal": ([s.READ, s.LIST_CHECK], "审计法务部"),
    "director": (["realestate.*"], "大客户总监"),
    "read_only": ([s.READ], "只读"),
    # RE-ALLOC-1 approvers (and RE-PRICE-5's, with the chairman)
    "marketing_director": ([*SEEING], "营销总监"),
    "finance_director": ([*SEEING], "财务总监"),
    "project_gm": ([*SEEING], "项目总经理"),
    "gm": ([*SEEING, s.PRICE, s.RELATION_PRICE_APPROVE], "总经理"),
    "chairman": ([*SEEING, s.PRICE], "董事长"),
}

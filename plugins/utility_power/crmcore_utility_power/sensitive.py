"""What in the power plugin needs more than its client to be read (CORE-CONF-2).

Whoever may read a key account sees its connection; its commercial figures (用电量, 电费收入,
信用状况, PWR-KA-1), its supply contract numbers (供用电合同, PWR-ACC-2) and the fees and
pay-into account of its quotes (应交费用, 交费帐号, PWR-FEE-1) need a permission too. Engineers, countersigning departments and the supply office work without them: they see
these fields masked. Every read goes through ``crmcore.security.access.present`` with the
entity names below, which applies these rules (and any an admin adds) and records the look-up.
"""

from __future__ import annotations

#: entity names given to ``access.present`` (and to ``crm access field``)
PROFILE = "power.profile"
CONTRACT = "power.contract"
QUOTE = "power.quote"  # a plan revision's quote (供电方案答复单)

#: permissions (see plugin.crm_roles for who holds them)
FIGURES = "power.figures.read"
CONTRACTS = "power.contracts.read"
QUOTES = "power.quotes.read"

#: entity, field, permission, rule, label_zh
FIELDS = (
    (PROFILE, "annual_consumption_kwh", FIGURES, "PWR-KA-1", "用电量贡献"),
    (PROFILE, "annual_revenue", FIGURES, "PWR-KA-1", "电费收入"),
    (PROFILE, "credit_status", FIGURES, "PWR-KA-1", "信用状况"),
    (CONTRACT, "number", CONTRACTS, "PWR-ACC-2", "供用电合同编号"),
    (QUOTE, "fees", QUOTES, "PWR-FEE-1", "应交费用"),
    (QUOTE, "total", QUOTES, "PWR-FEE-1", "应交费用合计"),
    (QUOTE, "pay_into", QUOTES, "PWR-FEE-1", "交费帐号"),
)

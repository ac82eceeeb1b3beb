"""What the rail plugin withholds from whom (CORE-CONF-2/4/5), declared through
``crm_sensitive_fields`` and applied by ``crmcore.security.access.present`` at every door.

- **Freight** billed on loadings and settled (运费, 运费结算) is the client's commercial
  secret and the railway's revenue: it needs the permission ``rail.freight.read`` (finance,
  bureau, ministry, director, audit/legal; not account managers or read-only users) at the
  client record's own level (``confidential``: RULES.md names no higher level for it, and a
  new user's clearance is confidential, so ``secret`` would hide it from finance too).
  Whoever may not read it may not write it either (``check_write``): an account manager
  imports loadings without the freight column.
- **The client's signer** on the annual volume form is a person's name (CORE-CONF-5): it
  needs the clearance of a contact's personal details (``confidential``). The bureau's and
  the ministry's signers sign in an office's name and are not masked.
- **Tonnages** are not masked: plans and loadings are everyone's daily work on the account,
  and the client record itself is confidential already.
- **Declared annual freight** of the qualification facts (RAIL-QUAL-1) is not masked: the
  account manager enters it from the client's application form (申请表) and could not
  record the application otherwise. An admin can add a rule in the database (``crm access
  field``) if an installation wants it withheld.
"""

from __future__ import annotations

from typing import Any

FREIGHT = "rail.freight.read"


def signed_by_client(record: Any) -> bool:
    """The rule on signers applies to the client's signature only."""
    return str(getattr(record, "stage", "")) == "client"


#: (entity, field, clearance, permission, when, rule, label_zh)
SENSITIVE: tuple[tuple[str, str, str, str | None, Any, str, str], ...] = (
    ("rail.settlement", "amount", "confidential", FREIGHT, None, "RAIL-OPS-1", "结算金额"),
    ("rail.loading", "freight", "confidential", FREIGHT, None, "RAIL-OPS-1", "运费"),
    ("rail.fulfilment_row", "freight", "confidential", FREIGHT, None, "RAIL-OPS-1", "运费"),
    ("rail.fulfilment_row", "settled", "confidential", FREIGHT, None, "RAIL-OPS-1", "已结算运费"),
    (
        "rail.volume_signature",
        "signer",
        "confidential",
        None,
        signed_by_client,
        "CORE-CONF-5",
        "客户签字人",
    ),
)

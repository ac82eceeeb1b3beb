"""Use cases of distributor credit tiers (DIST-*): profile, products, orders, invoices,
payments, credit reviews, investigations, the delivery queue.

Two A-D classes (rules audit 1.1): the *score class* is the client's class in the CLS-SCORE-1
run in force (core classification); it sets the price floor (DIST-PRICE-1), the payment terms
(DIST-PAY-1, lowered by late payments, DIST-PAY-2) and delivery (DIST-DLV-1, CLS-SCORE-2). The
*credit grade* is set by the credit committee (DIST-CRED-3) and decides credit (DIST-CRED-1/2).

Every method is one transaction (pass an Actor) or joins the caller's (pass a Tx, as the
workflow callbacks do). Writes that race (two orders against one limit, two payments of one
invoice) lock the distributor or invoice row and update with compare-and-set.
"""

from __future__ import annotations

from crmcore_distribution.base import DISTRIBUTOR, ORDER, SCHEME
from crmcore_distribution.catalogue import Catalogue
from crmcore_distribution.credit import INVESTIGATION, REVIEW, Credit
from crmcore_distribution.orders import HOLDS, Orders


class DistributionService(Orders, Credit, Catalogue):
    """``DistributionService(crm).place(actor, "C000001", NewOrder(...))``: one object with
    every use case; each part lives in its own module (orders, credit, catalogue, base)."""


__all__ = [
    "DISTRIBUTOR",
    "HOLDS",
    "INVESTIGATION",
    "ORDER",
    "REVIEW",
    "SCHEME",
    "DistributionService",
]

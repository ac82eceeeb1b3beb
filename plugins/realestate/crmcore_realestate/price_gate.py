"""The price gate (RE-PRICE-5, RE-PRICE-6): the one place the sales floor asks what average
price a commissioning unit was approved, or that none was (then no unit may be priced or
ticketed). The answer is written only by the last approval of the five-step chain in
``deals.pricing``; nothing on the sales floor can set it.
"""

from __future__ import annotations

from crmcore_realestate.deals.pricing import approved_average

__all__ = ["approved_average"]

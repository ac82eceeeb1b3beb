"""Why and how much a commissioning unit (委建单位) pays: the financing trigger (RE-START-1), the
negotiation team and its memos (RE-TEAM-1, CORE-LOG-2), candidate screening and selection
(RE-SEL-1/2) and pricing up to the approved average price (RE-PRICE-1..6).

Projects are named by their code (a string, no foreign key): inventory lives elsewhere in the
plugin. Other parts of the plugin call :func:`crmcore_realestate.deals.pricing.approved_average`.
Use cases are reached through :func:`crmcore_realestate.deals.services.deals`.
"""

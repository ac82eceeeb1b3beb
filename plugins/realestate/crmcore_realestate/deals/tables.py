"""Tables of the deals part of the realestate plugin, on crmcore's shared metadata. Every name
starts with ``realestate_deal_``. Projects are referred to by their code (no foreign key).

Nothing is deleted: a financing assessment, a team, a candidate analysis or a price analysis
is a new row (the newest counts); an approved average price is written once per commissioning
unit and project, and a unique index keeps it so under concurrency (RE-PRICE-5).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from crmcore.store import ExactDecimal, JsonDict, Money, UTCDateTime, metadata


def Percent() -> ExactDecimal:
    return ExactDecimal(scale=2, precision=7)


#: RE-START-1: each assessment of a project's financing need; ``started`` when it triggers.
financing = Table(
    "realestate_deal_financing",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("bank_financing_failed", Boolean, nullable=False),
    Column("cash_flow_short", Boolean, nullable=False),
    Column("lending_rate", Percent(), nullable=True),
    Column("conditions", JsonDict, nullable=False),  # condition -> met, and the policy used
    Column("note", Text, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_financing_project", "project_code", "id"),
)

#: RE-TEAM-1: a project's negotiation team; a new row replaces it (the newest counts).
teams = Table(
    "realestate_deal_teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("formed_at", UTCDateTime, nullable=False),
    Column("formed_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_teams_project", "project_code", "id"),
)

team_members = Table(
    "realestate_deal_team_members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", ForeignKey("realestate_deal_teams.id"), nullable=False),
    Column("position", String(40), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_team_members_team", "team_id", "position", unique=True),
)

#: RE-TEAM-1: a member's signed conduct pledge (廉洁承诺) for a project's negotiations: no gifts,
#: no terms promised privately. Once per person and project, never edited.
pledges = Table(
    "realestate_deal_pledges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_pledges_member", "project_code", "user_id", unique=True),
)

#: CORE-LOG-2: negotiation memos (core memos) written for a team, signed by all its members.
team_memos = Table(
    "realestate_deal_team_memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", ForeignKey("realestate_deal_teams.id"), nullable=False),
    Column("memo_id", ForeignKey("memos.id"), nullable=False, unique=True),
    Index("ix_realestate_deal_team_memos_team", "team_id"),
)

#: RE-SEL-1: the client analysis of a candidate commissioning unit (newest per client counts).
candidates = Table(
    "realestate_deal_candidates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("first_contacts", Text, nullable=False),
    Column("model_acceptance", Text, nullable=False),
    Column("past_prices_locations", Text, nullable=False),
    Column("strengths_weaknesses", Text, nullable=False),
    Column("buyers_income_housing", Text, nullable=False),
    Column("price_low", Money, nullable=False),
    Column("price_high", Money, nullable=False),
    Column("accepted_price", Money, nullable=False),
    Column("payment_ratio", Percent(), nullable=False),
    Column("resources_value", Money, nullable=False),
    Column("owner_occupier_share", Percent(), nullable=False),
    Column("other", Text, nullable=True),
    Column("superseded", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_candidates_project", "project_code", "client_id"),
)

#: RE-SEL-2: a proposed selection, its ranking as proposed, and the GM/chairman approval.
selections = Table(
    "realestate_deal_selections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),  # the chosen unit
    Column("ranking", JsonDict, nullable=False),  # {"order": [...], "ranked": [...]}
    Column("reason", Text, nullable=True),  # why not the first-ranked, if not
    # its status is the state of this GM/chairman approval (realestate.deal_selection)
    Column("workflow_id", ForeignKey("workflow_instances.id"), nullable=True),  # set at once
    Column("proposed_at", UTCDateTime, nullable=False),
    Column("proposed_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_selections_project", "project_code", "id"),
)

#: RE-PRICE-5: a department's input to a project's price analyses, each a new version (never
#: edited): the cost department's unit cost (``unit_cost``, secret, RE-PRICE-6) and sales' retail
#: reference price (``retail_reference``); an analysis uses the latest of each.
price_inputs = Table(
    "realestate_deal_price_inputs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("kind", String(20), nullable=False),  # unit_cost | retail_reference
    Column("version", Integer, nullable=False),
    Column("value", Money, nullable=False),  # CNY per m²
    Column("note", Text, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index(
        "ix_realestate_deal_price_inputs_version", "project_code", "kind", "version", unique=True
    ),
)

#: RE-PRICE-1/2/5: the price analysis for one commissioning unit (the key-account dept's).
price_analyses = Table(
    "realestate_deal_price_analyses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("comparable_price", Money, nullable=False),
    Column("unit_cost", Money, nullable=False),
    Column("retail_reference", Money, nullable=False),
    Column("blind_reference", Money, nullable=False),
    Column("cost_plus_reference", Money, nullable=False),
    Column("references_policy", JsonDict, nullable=False),  # RE-PRICE-2 in force when computed
    Column("average_price", Money, nullable=False),
    Column("payment_ratio", Percent(), nullable=False),
    Column("notes", Text, nullable=True),
    # the RE-PRICE-5 inputs used (their values are copied above); None before realestate_0005
    Column("cost_input_id", ForeignKey("realestate_deal_price_inputs.id"), nullable=True),
    Column("retail_input_id", ForeignKey("realestate_deal_price_inputs.id"), nullable=True),
    # None: a draft; else its status is the state of the RE-PRICE-5 chain (realestate.deal_price)
    Column("workflow_id", ForeignKey("workflow_instances.id"), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_price_analyses_unit", "project_code", "client_id", "id"),
)

#: RE-PRICE-4: resources exchanged for a discount, attached to a price analysis.
exchanges = Table(
    "realestate_deal_exchanges",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("analysis_id", ForeignKey("realestate_deal_price_analyses.id"), nullable=False),
    Column("description", String(500), nullable=False),
    Column("timing", String(20), nullable=False),  # received | receiving | future
    Column("assessed_value", Money, nullable=False),
    Column("discount", Money, nullable=False),
    Column("cap", Money, nullable=False),  # the cap in force when recorded
    Column("risk_assessment", Text, nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index("ix_realestate_deal_exchanges_analysis", "analysis_id"),
)

#: RE-PRICE-5: the approved average price, once per commissioning unit (and project).
approved_prices = Table(
    "realestate_deal_approved_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_code", String(40), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("analysis_id", ForeignKey("realestate_deal_price_analyses.id"), nullable=False),
    Column("average_price", Money, nullable=False),
    Column("payment_ratio", Percent(), nullable=False),
    Column("approved_at", UTCDateTime, nullable=False),
    Index("ix_realestate_deal_approved_prices_unit", "project_code", "client_id", unique=True),
)

TABLES = (
    financing,
    teams,
    team_members,
    pledges,
    team_memos,
    candidates,
    selections,
    price_inputs,
    price_analyses,
    exchanges,
    approved_prices,
)

"""Commissioned-build real estate, deals part (issue 6): financing needs (RE-START-1),
negotiation teams and their memos (RE-TEAM-1, CORE-LOG-2), candidates and selections
(RE-SEL-1/2), price analyses, resource exchanges and approved average prices (RE-PRICE-*).

Follows the sales floor's ``realestate_0001`` on the ``realestate`` branch.

Revision ID: realestate_0002
Revises: realestate_0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmcore.store.types

revision: str = "realestate_0002"
down_revision: str | Sequence[str] | None = "realestate_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "realestate_deal_financing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("bank_financing_failed", sa.Boolean(), nullable=False),
        sa.Column("cash_flow_short", sa.Boolean(), nullable=False),
        sa.Column(
            "lending_rate", crmcore.store.types.ExactDecimal(scale=2, precision=7), nullable=True
        ),
        sa.Column("conditions", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_realestate_deal_financing_recorded_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_financing")),
    )
    op.create_index(
        "ix_realestate_deal_financing_project",
        "realestate_deal_financing",
        ["project_code", "id"],
        unique=False,
    )
    op.create_table(
        "realestate_deal_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("formed_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("formed_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["formed_by"], ["users.id"], name=op.f("fk_realestate_deal_teams_formed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_teams")),
    )
    op.create_index(
        "ix_realestate_deal_teams_project",
        "realestate_deal_teams",
        ["project_code", "id"],
        unique=False,
    )
    op.create_table(
        "realestate_deal_team_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["realestate_deal_teams.id"],
            name=op.f("fk_realestate_deal_team_members_team_id_realestate_deal_teams"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_realestate_deal_team_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_team_members")),
    )
    op.create_index(
        "ix_realestate_deal_team_members_team",
        "realestate_deal_team_members",
        ["team_id", "position"],
        unique=True,
    )
    op.create_table(
        "realestate_deal_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("first_contacts", sa.Text(), nullable=False),
        sa.Column("model_acceptance", sa.Text(), nullable=False),
        sa.Column("past_prices_locations", sa.Text(), nullable=False),
        sa.Column("strengths_weaknesses", sa.Text(), nullable=False),
        sa.Column("buyers_income_housing", sa.Text(), nullable=False),
        sa.Column("price_low", crmcore.store.types.Money(), nullable=False),
        sa.Column("price_high", crmcore.store.types.Money(), nullable=False),
        sa.Column("accepted_price", crmcore.store.types.Money(), nullable=False),
        sa.Column(
            "payment_ratio", crmcore.store.types.ExactDecimal(scale=2, precision=7), nullable=False
        ),
        sa.Column("resources_value", crmcore.store.types.Money(), nullable=False),
        sa.Column(
            "owner_occupier_share",
            crmcore.store.types.ExactDecimal(scale=2, precision=7),
            nullable=False,
        ),
        sa.Column("other", sa.Text(), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_realestate_deal_candidates_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_realestate_deal_candidates_recorded_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_candidates")),
    )
    op.create_index(
        "ix_realestate_deal_candidates_project",
        "realestate_deal_candidates",
        ["project_code", "client_id"],
        unique=False,
    )
    op.create_table(
        "realestate_deal_price_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("comparable_price", crmcore.store.types.Money(), nullable=False),
        sa.Column("unit_cost", crmcore.store.types.Money(), nullable=False),
        sa.Column("retail_reference", crmcore.store.types.Money(), nullable=False),
        sa.Column("blind_reference", crmcore.store.types.Money(), nullable=False),
        sa.Column("cost_plus_reference", crmcore.store.types.Money(), nullable=False),
        sa.Column("references_policy", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("average_price", crmcore.store.types.Money(), nullable=False),
        sa.Column(
            "payment_ratio", crmcore.store.types.ExactDecimal(scale=2, precision=7), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("workflow_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_realestate_deal_price_analyses_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_realestate_deal_price_analyses_recorded_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflow_instances.id"],
            name=op.f("fk_realestate_deal_price_analyses_workflow_id_workflow_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_price_analyses")),
    )
    op.create_index(
        "ix_realestate_deal_price_analyses_unit",
        "realestate_deal_price_analyses",
        ["project_code", "client_id", "id"],
        unique=False,
    )
    op.create_table(
        "realestate_deal_selections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("ranking", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("workflow_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_realestate_deal_selections_client_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"],
            ["users.id"],
            name=op.f("fk_realestate_deal_selections_proposed_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflow_instances.id"],
            name=op.f("fk_realestate_deal_selections_workflow_id_workflow_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_selections")),
    )
    op.create_index(
        "ix_realestate_deal_selections_project",
        "realestate_deal_selections",
        ["project_code", "id"],
        unique=False,
    )
    op.create_table(
        "realestate_deal_team_memos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memos.id"], name=op.f("fk_realestate_deal_team_memos_memo_id_memos")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["realestate_deal_teams.id"],
            name=op.f("fk_realestate_deal_team_memos_team_id_realestate_deal_teams"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_team_memos")),
        sa.UniqueConstraint("memo_id", name=op.f("uq_realestate_deal_team_memos_memo_id")),
    )
    op.create_index(
        "ix_realestate_deal_team_memos_team",
        "realestate_deal_team_memos",
        ["team_id"],
        unique=False,
    )
    op.create_table(
        "realestate_deal_approved_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("average_price", crmcore.store.types.Money(), nullable=False),
        sa.Column(
            "payment_ratio", crmcore.store.types.ExactDecimal(scale=2, precision=7), nullable=False
        ),
        sa.Column("approved_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["realestate_deal_price_analyses.id"],
            name=op.f(
                "fk_realestate_deal_approved_prices_analysis_id_realestate_deal_price_analyses"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_realestate_deal_approved_prices_client_id_clients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_approved_prices")),
    )
    op.create_index(
        "ix_realestate_deal_approved_prices_unit",
        "realestate_deal_approved_prices",
        ["project_code", "client_id"],
        unique=True,
    )
    op.create_table(
        "realestate_deal_exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("timing", sa.String(length=20), nullable=False),
        sa.Column("assessed_value", crmcore.store.types.Money(), nullable=False),
        sa.Column("discount", crmcore.store.types.Money(), nullable=False),
        sa.Column("cap", crmcore.store.types.Money(), nullable=False),
        sa.Column("risk_assessment", sa.Text(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["realestate_deal_price_analyses.id"],
            name=op.f("fk_realestate_deal_exchanges_analysis_id_realestate_deal_price_analyses"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["users.id"],
            name=op.f("fk_realestate_deal_exchanges_recorded_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_deal_exchanges")),
    )
    op.create_index(
        "ix_realestate_deal_exchanges_analysis",
        "realestate_deal_exchanges",
        ["analysis_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_realestate_deal_exchanges_analysis", table_name="realestate_deal_exchanges")
    op.drop_table("realestate_deal_exchanges")
    op.drop_index(
        "ix_realestate_deal_approved_prices_unit", table_name="realestate_deal_approved_prices"
    )
    op.drop_table("realestate_deal_approved_prices")
    op.drop_index("ix_realestate_deal_team_memos_team", table_name="realestate_deal_team_memos")
    op.drop_table("realestate_deal_team_memos")
    op.drop_index("ix_realestate_deal_selections_project", table_name="realestate_deal_selections")
    op.drop_table("realestate_deal_selections")
    op.drop_index(
        "ix_realestate_deal_price_analyses_unit", table_name="realestate_deal_price_analyses"
    )
    op.drop_table("realestate_deal_price_analyses")
    op.drop_index("ix_realestate_deal_candidates_project", table_name="realestate_deal_candidates")
    op.drop_table("realestate_deal_candidates")
    op.drop_index("ix_realestate_deal_team_members_team", table_name="realestate_deal_team_members")
    op.drop_table("realestate_deal_team_members")
    op.drop_index("ix_realestate_deal_teams_project", table_name="realestate_deal_teams")
    op.drop_table("realestate_deal_teams")
    op.drop_index("ix_realestate_deal_financing_project", table_name="realestate_deal_financing")
    op.drop_table("realestate_deal_financing")

"""The real estate plugin's RE-PRICE-5 inputs and RE-TEAM-1 pledges: the cost department's unit
cost and sales' retail reference price, each a dated version per project
(``realestate_deal_price_inputs``), and the versions a price analysis used (two columns on
``realestate_deal_price_analyses``, empty for analyses made before); each negotiation-team
member's signed conduct pledge (``realestate_deal_pledges``, 廉洁承诺).

Revision ID: realestate_0005
Revises: realestate_0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmcore.store import Money, UTCDateTime

revision: str = "realestate_0005"
down_revision: str | Sequence[str] | None = "realestate_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INPUT_FKS = {
    "cost_input_id": "fk_realestate_deal_price_analyses_cost_input_id_realestate_deal_price_inputs",
    "retail_input_id": (
        "fk_realestate_deal_price_analyses_retail_input_id_realestate_deal_price_inputs"
    ),
}


def _recorded() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "realestate_deal_price_inputs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", Money(), nullable=False),
        sa.Column("note", sa.Text()),
        *_recorded(),
    )
    op.create_index(
        "ix_realestate_deal_price_inputs_version",
        "realestate_deal_price_inputs",
        ["project_code", "kind", "version"],
        unique=True,
    )
    with op.batch_alter_table("realestate_deal_price_analyses") as batch_op:
        for column, name in _INPUT_FKS.items():
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                op.f(name), "realestate_deal_price_inputs", [column], ["id"]
            )
    op.create_table(
        "realestate_deal_pledges",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_code", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        *_recorded(),
    )
    op.create_index(
        "ix_realestate_deal_pledges_member",
        "realestate_deal_pledges",
        ["project_code", "user_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_realestate_deal_pledges_member", table_name="realestate_deal_pledges")
    op.drop_table("realestate_deal_pledges")
    with op.batch_alter_table("realestate_deal_price_analyses") as batch_op:
        for column, name in _INPUT_FKS.items():
            batch_op.drop_constraint(op.f(name), type_="foreignkey")
            batch_op.drop_column(column)
    op.drop_index(
        "ix_realestate_deal_price_inputs_version", table_name="realestate_deal_price_inputs"
    )
    op.drop_table("realestate_deal_price_inputs")

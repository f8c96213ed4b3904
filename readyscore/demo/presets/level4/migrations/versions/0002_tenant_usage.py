"""tenant usage and budgets

Revision ID: 0002
Create Date: 2026-06-15
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "tenant_usage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant", sa.String(64), nullable=False, index=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("budget", sa.Integer, nullable=False),
        sa.UniqueConstraint("tenant", "month"),
    )


def downgrade() -> None:
    op.drop_table("tenant_usage")

"""followups (督办): an action, who is responsible, a due date and a state, per target and unit

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("unit_code", sa.String(12), nullable=False),
        sa.Column("action", sa.String(500), nullable=False),
        sa.Column("responsible", sa.String(100), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('open', 'in_progress', 'done', 'cancelled')", name="ck_followups_state"),
    )
    op.create_index("ix_followups_target_unit", "followups", ["target_id", "unit_code"])
    op.create_index("ix_followups_unit", "followups", ["unit_code"])


def downgrade() -> None:
    op.drop_index("ix_followups_unit", table_name="followups")
    op.drop_index("ix_followups_target_unit", table_name="followups")
    op.drop_table("followups")

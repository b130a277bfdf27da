"""Accounts hold several roles (agent, editor, supervisor, admin) instead of one.

Revision ID: agent_roles
Revises: session_lifetimes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "agent_roles"
down_revision = "session_lifetimes"
branch_labels = None
depends_on = None


def _agents(column: sa.ColumnClause) -> sa.TableClause:
    return sa.table("agents", sa.column("id", sa.String), column)


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default='["agent"]'))
    conn = op.get_bind()
    agents = _agents(sa.column("roles", sa.JSON))
    for agent_id, role in conn.execute(sa.text("SELECT id, role FROM agents")).all():
        conn.execute(agents.update().where(agents.c.id == agent_id).values(roles=[role or "agent"]))
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="agent"))
    conn = op.get_bind()
    agents = _agents(sa.column("roles", sa.JSON))
    for agent_id, held in conn.execute(sa.select(agents.c.id, agents.c.roles)).all():
        top = next((r for r in ("admin", "supervisor", "editor", "agent") if r in (held or [])), "agent")
        conn.execute(sa.text("UPDATE agents SET role = :role WHERE id = :id"), {"role": top, "id": agent_id})
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("roles")

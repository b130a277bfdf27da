"""Alembic environment: runs on the connection faqbot.db.migrate passes in (sync, inside an async engine)."""

from alembic import context

from faqbot.db import ALL_METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through faqbot.db.migrate (it supplies the connection)")

context.configure(connection=connection, target_metadata=list(ALL_METADATA), render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()

"""Alembic migrations: the database schema's history. `faqbot.db.migrate` applies them at start."""

"""Alembic environment: jikimi always passes an open connection in ``config.attributes`` (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from jikimi.adapters.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()

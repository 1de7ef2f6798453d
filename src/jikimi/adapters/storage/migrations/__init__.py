"""Alembic migrations of the vault schema, run programmatically by :mod:`jikimi.adapters.storage.schema`."""

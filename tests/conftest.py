"""Fixtures shared by every test package."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from jikimi.adapters.storage import normalise_url

PG_ENV = "JIKIMI_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_schema() -> Iterator[tuple[str, str]]:
    """``(url, schema)``: a schema of its own on the PostgreSQL server of ``JIKIMI_TEST_POSTGRES_URL``, dropped with
    everything in it afterwards (after the fixtures that asked for it are torn down). Skips if the variable is not
    set; `.ci/run` sets it."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set")
    schema = "jikimi_test_" + secrets.token_hex(6)
    admin = create_engine(normalise_url(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

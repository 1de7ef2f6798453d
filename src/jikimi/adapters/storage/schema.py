"""Schema versions: Alembic run programmatically (no alembic.ini), on first use of an empty database.

Outcomes of :func:`ensure_schema`: an empty database is migrated to the head revision; a database at the head is
used as is; one at an older revision is refused until ``jikimi db upgrade``; one at a revision this jikimi does not
know (made by a newer jikimi) is refused outright. All refusals are :class:`~jikimi.errors.SchemaError`.

On SQLite the key database (a second file, ``tables.KEYS_SCHEMA``) must match the data file: a new database
beside a key file that already holds keys, or a database without its key file, is refused rather than mixed up.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from jikimi.adapters.storage.tables import KEYS_SCHEMA
from jikimi.errors import SchemaError

__all__ = ["current_revision", "downgrade", "ensure_schema", "head_revision", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # the package ships at least one revision
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _known(revision: str) -> bool:
    script = ScriptDirectory.from_config(_config())
    return any(rev.revision == revision for rev in script.walk_revisions())


def _refuse_newer(revision: str | None) -> None:
    if revision is not None and not _known(revision):
        raise SchemaError(
            f"the database is at schema revision {revision!r}, made by a newer jikimi; "
            "upgrade jikimi to use it (this version knows up to "
            f"{head_revision()!r})"
        )


def upgrade(engine: Engine) -> str:
    """Migrate to the head revision in one transaction; returns it. Refuses a newer database."""
    with engine.begin() as conn:
        _refuse_newer(current_revision(conn))
        command.upgrade(_config(conn), "head")
    return head_revision()


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate back to ``revision`` in one transaction (migration tests; an operator's way back from a release)."""
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def ensure_schema(engine: Engine) -> None:
    """Make a new database usable; refuse one that is older or newer than this jikimi (see module doc)."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        tables = set(inspect(conn).get_table_names())
        key_file, key_tables = _key_database(conn)
    if revision is None:
        if tables & {"fields", "data_keys"}:
            raise SchemaError("the database has vault tables but no schema revision; refusing to touch it")
        if key_tables:
            raise SchemaError(
                f"the key database {key_file} already holds tables, but the database beside it is new: it belongs "
                "to another database; move it away or open that database"
            )
        upgrade(engine)
        return
    _refuse_newer(revision)
    if revision != head_revision():
        raise SchemaError(
            f"the database is at schema revision {revision!r}; run `jikimi db upgrade` to reach {head_revision()!r}"
        )
    if key_file is not None and "data_keys" not in key_tables:
        raise SchemaError(
            f"the key database {key_file} is missing or empty: without it no encrypted field of this database "
            "can be read; restore it beside the database file"
        )


def _key_database(conn: Connection) -> tuple[str | None, set[str]]:
    """SQLite: the attached key database's file (``:memory:`` for none) and its tables; (None, set()) elsewhere."""
    if conn.dialect.name != "sqlite":
        return None, set()
    files = {name: path for _seq, name, path in conn.execute(text("PRAGMA database_list"))}
    return files.get(KEYS_SCHEMA) or ":memory:", set(inspect(conn).get_table_names(schema=KEYS_SCHEMA))

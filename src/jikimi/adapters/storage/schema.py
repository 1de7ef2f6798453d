"""Schema versions: Alembic run programmatically (no alembic.ini), on first use of an empty database.

Outcomes of :func:`ensure_schema`: an empty database is migrated to the head revision; a database at the head is
used as is; one at an older revision is refused until ``jikimi db upgrade``; one at a revision this jikimi does not
know (made by a newer jikimi) is refused outright. All refusals are :class:`~jikimi.errors.SchemaError`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from jikimi.errors import SchemaError

__all__ = ["current_revision", "ensure_schema", "head_revision", "upgrade"]

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


def ensure_schema(engine: Engine) -> None:
    """Make a new database usable; refuse one that is older or newer than this jikimi (see module doc)."""
    with engine.connect() as conn:
        revision = current_revision(conn)
        tables = set(inspect(conn).get_table_names())
    if revision is None:
        if tables & {"fields", "data_keys"}:
            raise SchemaError("the database has vault tables but no schema revision; refusing to touch it")
        upgrade(engine)
        return
    _refuse_newer(revision)
    if revision != head_revision():
        raise SchemaError(
            f"the database is at schema revision {revision!r}; run `jikimi db upgrade` to reach {head_revision()!r}"
        )

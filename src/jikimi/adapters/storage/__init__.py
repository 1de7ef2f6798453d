"""Storage adapter: SQLAlchemy Core tables, the SQL :class:`~.store.SqlVaultStore`, and Alembic migrations.

``open_store(url)`` is the entry point. The default is a SQLite file in WAL mode with ``synchronous=NORMAL``
(durable across a process crash; the last transactions may be lost on power failure, a trade of about 6x write
speed, performance.md); ``postgresql://`` URLs use psycopg 3. On first use an empty database is migrated.

On SQLite the wrapped data keys are kept in a second file beside the first (:func:`keys_database_path`), attached
to every connection as ``jikimi_keys`` with ``secure_delete`` on, so a deleted key is overwritten, not left in a
free page. Both files belong together: back them up separately (docs/security.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from jikimi.adapters.storage.schema import ensure_schema, upgrade
from jikimi.adapters.storage.store import SqlVaultSession, SqlVaultStore
from jikimi.adapters.storage.tables import KEYS_SCHEMA
from jikimi.errors import StorageError

__all__ = [
    "DEFAULT_URL",
    "ENV_VAR",
    "SqlVaultSession",
    "SqlVaultStore",
    "create_db_engine",
    "database_url",
    "display_url",
    "keys_database_path",
    "normalise_url",
    "open_store",
    "upgrade_database",
]

ENV_VAR = "JIKIMI_DATABASE_URL"
DEFAULT_URL = "sqlite:///jikimi.db"


def database_url(url: str | None = None) -> str:
    """``url`` if given, else ``JIKIMI_DATABASE_URL``, else a SQLite file ``jikimi.db`` here."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def display_url(url: str) -> str:
    """``url`` fit to print: any password replaced by ``***``."""
    return make_url(url).render_as_string(hide_password=True)


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` select psycopg 3 (SQLAlchemy would default to psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def keys_database_path(database: str) -> str:
    """The key database beside a SQLite database file: ``jikimi.db`` -> ``jikimi.keys.db`` (in memory for one in
    memory)."""
    if database in ("", ":memory:"):
        return ":memory:"
    stem, dot, ext = database.rpartition(".")
    if dot and "/" not in ext and stem and not stem.endswith("/"):
        return f"{stem}.keys.{ext}"
    return database + ".keys"


def create_db_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine with jikimi's connection settings; ``schema`` sets PostgreSQL's search_path (tests, tenants)."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs: dict[str, Any] = {}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
            kwargs["connect_args"] = {"check_same_thread": False}
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, keys_database_path(parsed.database or ""))
        return engine
    connect_args: dict[str, Any] = {}
    if schema is not None:
        connect_args["options"] = f"-c search_path={schema}"
    # The key table is in the database's own schema on PostgreSQL (tables.KEYS_SCHEMA).
    return create_engine(url, connect_args=connect_args).execution_options(schema_translate_map={KEYS_SCHEMA: None})


def _configure_sqlite(engine: Engine, keys_path: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (the pysqlite recipe): a read then a write
        # in one `transaction()` is then truly one transaction.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        # A checkpoint every 10,000 pages (~40 MB of WAL) rather than SQLite's 1,000: each one syncs the WAL and the
        # database file, and a sign-up writes some fourteen pages; measured 20-30 % more sign-ups/s (performance.md).
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute(f"ATTACH DATABASE ? AS {KEYS_SCHEMA}", (keys_path,))
        cursor.execute(f"PRAGMA {KEYS_SCHEMA}.journal_mode=WAL")
        cursor.execute(f"PRAGMA {KEYS_SCHEMA}.synchronous=NORMAL")
        # A deleted key is overwritten with zeros, in its page and in freed pages: a shredded key is not left for
        # a file-carving tool to find (R-SEC-27). FAST would leave freed pages as they were (measured).
        cursor.execute(f"PRAGMA {KEYS_SCHEMA}.secure_delete=ON")
        # Each checkpoint that restarts the key file's WAL truncates it: old page images of keys do not linger.
        cursor.execute(f"PRAGMA {KEYS_SCHEMA}.journal_size_limit=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: through exec_driver_sql this costs as much as a small write (performance.md).
        conn.connection.driver_connection.execute("BEGIN")


T = TypeVar("T")


@contextmanager
def _storage_errors(url: str) -> Iterator[None]:
    """Driver and URL failures as :class:`StorageError`: one line naming the database, never a traceback."""
    shown = _safe_display(url)
    try:
        yield
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError, ValueError):
        raise StorageError(f"{shown}: not a database URL jikimi can use (sqlite:///FILE or postgresql://...)") from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(f"{shown}: cannot use the database: {reason}") from None


def _safe_display(url: str) -> str:
    try:
        return display_url(url)
    except (ArgumentError, ValueError):
        return "the database URL"


def _with_engine(url: str | None, schema: str | None, use: Callable[[Engine], T], *, keep: bool) -> T:
    chosen = database_url(url)
    with _storage_errors(chosen):
        engine = create_db_engine(chosen, schema=schema)
        try:
            result = use(engine)
        except BaseException:
            engine.dispose()  # a refused database leaves no open connection behind
            raise
        if not keep:
            engine.dispose()
        return result


def open_store(url: str | None = None, *, schema: str | None = None) -> SqlVaultStore:
    """Open (and on first use, create) the vault database at ``url`` (see :func:`database_url`).

    Raises :class:`StorageError` for a URL or database jikimi cannot use, and for a database of a newer jikimi.
    """

    def _open(engine: Engine) -> SqlVaultStore:
        ensure_schema(engine)
        return SqlVaultStore(engine)

    return _with_engine(url, schema, _open, keep=True)


def upgrade_database(url: str | None = None, *, schema: str | None = None) -> str:
    """``jikimi db upgrade``: migrate to this jikimi's head revision; returns it (StorageError if it cannot)."""
    return _with_engine(url, schema, upgrade, keep=False)

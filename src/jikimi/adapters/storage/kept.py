"""Kept connections: transactions on connections kept between them, begun and ended on SQLite's driver.

A pool checkout, a new SQLAlchemy ``Connection`` and the pool's reset on return cost a quarter of a sign-up; on
SQLite, SQLAlchemy's own begin and commit (and the events jikimi hangs on them) another tenth (docs/performance.md).
The stores whose transactions are the hot path (consent: a sign-up; access: the record of each read) keep a few
connections, each with its session and driver cursor, and on SQLite begin and end each transaction on the driver
(``BEGIN`` / ``COMMIT``; on any error the connection is closed, and the pool's reset rolls the driver transaction
back). SQLAlchemy statements of a session still work: its kept ``Connection`` is told once that a transaction is
open (:meth:`KeptConnections._keep`), so it never begins one itself. On PostgreSQL SQLAlchemy begins and commits
as usual, on a kept connection.

Kept connections are closed when the store closes, or when the engine is disposed (``engine_disposed``), whichever
comes first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Generic, Protocol, TypeVar

from sqlalchemy import Connection, Engine, event

__all__ = ["KeptConnections", "KeptSession"]

_IDLE = 4  # connections kept idle at most (more at once are opened, and closed when done)


class KeptSession(Protocol):
    """A store's session over one kept connection."""

    @property
    def connection(self) -> Connection: ...

    def driver_execute(self, sql: str) -> None:
        """Run ``sql`` on the driver's cursor, without SQLAlchemy (``BEGIN``, ``COMMIT``)."""


S = TypeVar("S", bound=KeptSession)


class KeptConnections(Generic[S]):
    """The kept connections of one store, each with its session (made by ``make``); ``committed`` is called after
    every transaction that committed, before its connection is kept for the next."""

    def __init__(
        self,
        engine: Engine,
        make: Callable[[Connection], S],
        committed: Callable[[S], None] | None = None,
        idle: int = _IDLE,
    ) -> None:
        self._engine = engine
        self._make = make
        self._committed = committed
        self._idle = idle
        self._sessions: list[S] = []  # list pop/append are atomic across threads
        self._sqlite = engine.dialect.name == "sqlite"
        event.listen(engine, "engine_disposed", self._disposed)

    def transaction(self) -> AbstractContextManager[S]:
        """One transaction on a kept connection: committed when the block ends, rolled back on any error."""
        return _DriverTransaction(self) if self._sqlite else self._sqlalchemy_transaction()

    def close(self) -> None:
        """Close the kept connections (those in a transaction now are closed when it ends)."""
        while self._sessions:
            self._sessions.pop().connection.close()

    def _disposed(self, engine: Engine) -> None:
        # After the pool is gone: a connection given back now would not be closed by it, so close the driver's.
        while self._sessions:
            self._sessions.pop().connection.invalidate()

    @contextmanager
    def _sqlalchemy_transaction(self) -> Iterator[S]:
        try:
            session = self._sessions.pop()
        except IndexError:
            session = self._make(self._engine.connect())
        done = False
        try:
            with session.connection.begin():
                yield session
            done = True
        finally:
            self._return(session, done)

    def _keep(self) -> S:
        """A kept SQLite connection: its SQLAlchemy transaction stays open for good, no driver transaction is."""
        try:
            return self._sessions.pop()
        except IndexError:
            pass
        conn = self._engine.connect()
        conn.begin()  # SQLAlchemy's transaction, for good: its statements never autobegin (the module's doc)
        session = self._make(conn)
        session.driver_execute("COMMIT")  # the driver transaction that begin opened: empty
        return session

    def _return(self, session: S, done: bool) -> None:
        if done and self._committed is not None:
            self._committed(session)
        if done and len(self._sessions) < self._idle:
            self._sessions.append(session)
        else:
            session.connection.close()  # back to the pool, which rolls back whatever is still open


class _DriverTransaction(Generic[S]):
    """One SQLite transaction on a kept connection, begun and committed on the driver."""

    __slots__ = ("_kept", "_session")

    def __init__(self, kept: KeptConnections[S]) -> None:
        self._kept = kept

    def __enter__(self) -> S:
        session = self._session = self._kept._keep()
        try:
            session.driver_execute("BEGIN")
        except BaseException:
            self._kept._return(session, False)
            raise
        return session

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        session = self._session
        done = False
        try:
            if kind is None:
                session.driver_execute("COMMIT")
                done = True
        finally:
            # On any error the connection is closed: the pool's reset rolls the driver transaction back.
            self._kept._return(session, done)

"""The composition root wires the vault; the clock is passed in and can be moved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jikimi.adapters.storage import open_store
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import Policy
from jikimi.vault import LocalKeyring, PasswordHashing


def test_engine_exposes_a_working_vault(policy: Policy, passwords: PasswordHashing) -> None:
    clock = FixedClock(datetime(2030, 1, 1, tzinfo=UTC))
    store = open_store("sqlite:///:memory:")
    engine = Engine(policy, store, LocalKeyring.generate(), clock, passwords=passwords)
    engine.vault.put("s-1", {"name": "홍길동"})
    assert engine.vault.get("s-1") == {"name": "홍길동"}
    clock.advance(timedelta(days=1))
    assert engine.clock.now() == datetime(2030, 1, 2, tzinfo=UTC)
    assert "홍길동" not in repr(engine)
    store.close()

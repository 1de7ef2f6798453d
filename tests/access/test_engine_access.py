"""Staff reads through the Engine on the Partner Center policy: live data for a role's purpose, then after
withdrawal only what separate storage keeps, only for the purpose that keeps it (R-SEC-2, R-RET-2, R-SEC-21)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.adapters.storage.retention_store import open_retention_store
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.errors import AccessDeniedError, StorageError
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing

POLICY = load_policy(Path(__file__).resolve().parents[2] / "examples" / "policies" / "partnercenter.yaml")
T0 = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
MEMBER = {
    "login_id": "partner1",
    "password": "correct horse battery staple",
    "manager_name": "홍길동",
    "manager_mobile": "010-0000-2001",
    "company_name": "테스트 엔터",
    "business_number": "123-45-67800",
}


def test_reads_before_and_after_withdrawal(tmp_path: Path) -> None:
    store = open_retention_store(f"sqlite:///{tmp_path / 'pc.db'}")
    clock = FixedClock(T0)
    engine = Engine(
        POLICY,
        store,
        LocalKeyring.generate(),
        clock,
        passwords=PasswordHashing(Argon2Params.cheap()),
        access_store=SqlAccessStore(store.engine),
    )
    try:
        sid = engine.collect("signup", "agency", MEMBER, {"service_development": True}, ConsentMethod.WEB_CLICK, "pc-1")
        sid = sid.subject
        engine.decide(sid, True, "reviewer")
        engine.operators.grant("op-kim", "designated_handler", actor="cpo")
        engine.operators.grant("op-park", "privacy_staff", actor="cpo")
        live = engine.read("op-kim", [sid], ["company_name", "manager_mobile"], "service_provision", "문의", "10.0.0.1")
        assert live == {sid: {"company_name": "테스트 엔터", "manager_mobile": "010-0000-2001"}}

        clock.set(T0 + timedelta(days=30))
        engine.end_purpose(sid)
        with pytest.raises(AccessDeniedError) as refused:
            engine.read("op-kim", [sid], ["company_name"], "service_provision", "문의", "10.0.0.1")
        assert refused.value.rule == "R-RET-2"
        kept = engine.read("op-park", [sid], ["business_number"], "member_management", "재가입 확인", "10.0.0.2")
        assert kept == {sid: {"business_number": "123-45-67800"}}

        count, broken = engine.access.verify()
        assert (count, broken) == (3, None)
    finally:
        store.close()


def test_an_engine_without_an_access_store_says_so(tmp_path: Path) -> None:
    store = open_retention_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        engine = Engine(POLICY, store, LocalKeyring.generate())
        with pytest.raises(StorageError, match="no access store"):
            engine.read("op", ["s"], ["login_id"], "member_management", "t", "127.0.0.1")
    finally:
        store.close()


def test_access_records_go_with_the_sweep_after_their_retention(tmp_path: Path) -> None:
    from jikimi.access.record import retention_period

    assert retention_period(POLICY) == "1y"  # Partner Center: no unique identifiers, no sensitive data (R-SEC-22)
    big = POLICY.model_copy(update={"service": POLICY.service.model_copy(update={"expected_subjects": 50_000})})
    assert retention_period(big) == "2y"
    store = open_retention_store(f"sqlite:///{tmp_path / 'pc.db'}")
    clock = FixedClock(T0)
    access = SqlAccessStore(store.engine)
    engine = Engine(POLICY, store, LocalKeyring.generate(), clock, access_store=access)
    try:
        sid = engine.collect("signup", "agency", MEMBER, {"service_development": True}, ConsentMethod.WEB_CLICK, "x")
        engine.decide(sid.subject, True, "reviewer")
        engine.operators.grant("op-kim", "designated_handler", actor="cpo")
        for day in (0, 200, 400):
            clock.set(T0 + timedelta(days=day))
            engine.read("op-kim", [sid.subject], ["company_name"], "service_provision", "문의", "10.0.0.1")
        clock.set(T0 + timedelta(days=366))
        assert engine.sweep().access_records == 1  # the read of day 0; day 200 is still within a year
        assert engine.access.verify() == (2, None)  # the chain now starts at the checkpoint
        clock.set(T0 + timedelta(days=600))
        assert engine.sweep().access_records == 1
        assert engine.access.verify() == (1, None)
        clock.set(T0 + timedelta(days=1200))
        assert engine.sweep().access_records == 1  # every record has reached its end
        for _ in range(3):  # the chain goes on from the checkpoint, not from scratch
            engine.read("op-kim", [sid.subject], ["company_name"], "service_provision", "문의", "10.0.0.1")
        assert engine.access.verify() == (3, None)
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM access_records WHERE seq = (SELECT MIN(seq) FROM access_records)")
        _, broken = engine.access.verify()
        assert broken is not None  # a record after the checkpoint went missing: found
    finally:
        store.close()

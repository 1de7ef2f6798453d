"""Suspensions of processing (처리정지, R-DSR-6) and correction holds (R-DSR-5) through the Engine: placed with who
and when, enforced by the gate on every read (refused, naming the rule, and recorded), lifted, and read for a whole
batch in one query. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from jikimi.access import AccessRequest, Decision, RestrictionKind
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.adapters.storage.retention_store import SqlRetentionStore, open_retention_store
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.errors import AccessDeniedError, AccessError, UnknownItemError, UnknownSubjectError
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing

from .conftest import Db

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
ITEMS = ["company_name", "manager_mobile"]


class World:
    def __init__(self, db: Db) -> None:
        self.store: SqlRetentionStore = open_retention_store(db.url, schema=db.schema)
        self.clock = FixedClock(T0)
        self.access = SqlAccessStore(self.store.engine)
        self.engine = Engine(
            POLICY,
            self.store,
            LocalKeyring.generate(),
            self.clock,
            passwords=PasswordHashing(Argon2Params.cheap()),
            access_store=self.access,
        )
        self.engine.operators.grant("op-kim", "designated_handler", actor="cpo")

    def member(self, n: int = 1) -> str:
        data = dict(MEMBER, login_id=f"partner{n}", manager_mobile=f"010-0000-{2000 + n:04d}")
        consents = {"service_development": True}
        sid = self.engine.collect("signup", "agency", data, consents, ConsentMethod.WEB_CLICK, f"pc-{n}").subject
        self.engine.decide(sid, True, "reviewer")
        return sid

    def read(self, sid: str, items: list[str] = ITEMS, purpose: str = "service_provision") -> dict[str, dict[str, str]]:
        return self.engine.read("op-kim", [sid], items, purpose, "문의 응대", "10.0.0.1")

    def last_record(self) -> dict[str, object]:
        return [r for page in self.access.records() for r in page][-1].fields


@pytest.fixture
def world(db: Db) -> Iterator[World]:
    w = World(db)
    try:
        yield w
    finally:
        w.store.close()


def test_a_suspended_purpose_is_refused_and_recorded_until_resumed(world: World) -> None:
    sid = world.member()
    assert world.read(sid) == {sid: {"company_name": "테스트 엔터", "manager_mobile": "010-0000-2001"}}

    world.clock.set(T0 + timedelta(hours=1))
    placed = world.engine.suspend_processing(sid, "service_provision", "privacy-desk", reason="처리정지 요구 #12")
    assert (placed.kind, placed.target, placed.placed_by, placed.placed_at) == (
        RestrictionKind.SUSPENSION,
        "service_provision",
        "privacy-desk",
        T0 + timedelta(hours=1),
    )
    with pytest.raises(AccessDeniedError) as refused:
        world.read(sid)
    assert refused.value.rule == "R-DSR-6"
    record = world.last_record()
    assert (record["outcome"], record["rule"], record["purpose"]) == ("refused", "R-DSR-6", "service_provision")
    # Only that purpose stops: the same subject's data for another purpose of the role is still read.
    assert world.read(sid, ["company_name"], "member_management") == {sid: {"company_name": "테스트 엔터"}}

    world.clock.set(T0 + timedelta(days=3))
    lifted = world.engine.resume_processing(sid, "service_provision", "privacy-desk")
    assert (lifted.id, lifted.released_by, lifted.released_at) == (placed.id, "privacy-desk", T0 + timedelta(days=3))
    assert world.read(sid)[sid]["company_name"] == "테스트 엔터"
    assert world.last_record()["outcome"] == "allowed"
    (history,) = world.engine.restrictions.of(sid)
    assert history == lifted
    assert history.reason == "처리정지 요구 #12"
    assert world.engine.access.verify() == (4, None)


def test_an_item_held_for_correction_is_refused_until_released(world: World) -> None:
    sid = world.member()
    held = world.engine.hold_for_correction(sid, ["manager_mobile"], "privacy-desk")
    assert [(h.kind, h.target) for h in held] == [(RestrictionKind.CORRECTION, "manager_mobile")]
    with pytest.raises(AccessDeniedError) as refused:
        world.read(sid)
    assert refused.value.rule == "R-DSR-5"
    assert "manager_mobile" in str(refused.value)
    assert world.last_record()["rule"] == "R-DSR-5"
    # The other items are not held back.
    assert world.read(sid, ["company_name"]) == {sid: {"company_name": "테스트 엔터"}}

    released = world.engine.release_correction(sid, "manager_mobile", "privacy-desk")  # one item as a plain string
    assert [(r.target, r.active) for r in released] == [("manager_mobile", False)]
    assert world.read(sid)[sid]["manager_mobile"] == "010-0000-2001"


def test_placing_twice_returns_what_is_in_force(world: World) -> None:
    sid = world.member()
    first = world.engine.suspend_processing(sid, "service_provision", "desk")
    world.clock.set(T0 + timedelta(hours=2))
    again = world.engine.suspend_processing(sid, "service_provision", "someone-else")
    assert again == first
    holds = world.engine.hold_for_correction(sid, ["company_name", "manager_mobile", "company_name"], "desk")
    more = world.engine.hold_for_correction(sid, ["manager_mobile"], "desk")
    assert [h.target for h in holds] == ["company_name", "manager_mobile"]
    assert more == holds[1:]
    assert len(world.engine.restrictions.of(sid)) == 3


def test_bad_input_is_refused_and_writes_nothing(world: World) -> None:
    sid = world.member()
    with pytest.raises(UnknownSubjectError):
        world.engine.suspend_processing("no-such-subject", "service_provision", "desk")
    with pytest.raises(AccessError, match="not declared"):
        world.engine.suspend_processing(sid, "selling_lists", "desk")
    with pytest.raises(UnknownItemError):
        world.engine.hold_for_correction(sid, ["blood_type"], "desk")
    with pytest.raises(AccessError, match="actor"):
        world.engine.hold_for_correction(sid, ["company_name"], " ")
    with pytest.raises(AccessError, match="500"):
        world.engine.suspend_processing(sid, "service_provision", "desk", reason="x" * 501)
    with pytest.raises(AccessError, match="no items"):
        world.engine.hold_for_correction(sid, [], "desk")
    with pytest.raises(AccessError, match="not suspended"):
        world.engine.resume_processing(sid, "service_provision", "desk")
    assert world.engine.restrictions.of(sid) == []
    # Releasing a held and a not-held item: refused whole, in one transaction, so the held one stays held.
    world.engine.hold_for_correction(sid, ["company_name"], "desk")
    with pytest.raises(AccessError, match="not held back"):
        world.engine.release_correction(sid, ["company_name", "manager_mobile"], "desk")
    assert [r.active for r in world.engine.restrictions.of(sid)] == [True]
    with pytest.raises(AccessDeniedError):
        world.read(sid, ["company_name"])


def test_a_batch_reads_its_restrictions_in_one_query(world: World, db: Db) -> None:
    if not db.sqlite:
        pytest.skip("statements are counted through SQLite's trace callback")
    subjects = [world.member(n) for n in range(1, 4)]
    world.engine.suspend_processing(subjects[1], "service_provision", "desk")
    statements: list[str] = []

    @event.listens_for(world.store.engine, "connect")
    def trace(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.set_trace_callback(statements.append)

    world.store.engine.dispose()  # new connections, traced
    asks = [
        AccessRequest("op-kim", (s,), ("company_name",), "service_provision", "문의", "10.0.0.1", T0)
        for s in subjects * 100
    ]
    results = world.engine.access.read_many(asks)
    assert [isinstance(r, Decision) for r in results[:3]] == [False, True, False]
    assert sum(isinstance(r, Decision) for r in results) == 100
    assert sum("access_restrictions" in s for s in statements) == 1
    # A batch of many subjects: one query per 500 of them, never one per subject.
    statements.clear()
    with world.access.transaction() as session:
        assert session.restricted([f"s-{i}" for i in range(1_200)]) == {}
    assert sum("access_restrictions" in s for s in statements) == 3


def test_the_example_of_the_access_doc_runs(world: World, db: Db) -> None:
    if not db.sqlite:
        pytest.skip("once is enough")
    doc = (Path(__file__).resolve().parents[2] / "docs" / "access.md").read_text("utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    namespace = {"engine": world.engine, "subject": world.member()}
    exec(compile(block, "docs/access.md", "exec"), namespace)  # the documentation's own example, run as written
    assert len(namespace["history"]) == 2

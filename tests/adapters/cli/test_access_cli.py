"""`jikimi operators` and `jikimi audit`: grants are logged, the record verifies, a month is reviewed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from jikimi.access import AccessRequest, Decision, chain_records
from jikimi.adapters.cli import app
from jikimi.adapters.storage import open_store
from jikimi.adapters.storage.access_store import SqlAccessStore

POLICY = Path(__file__).resolve().parents[3] / "examples" / "policies" / "1mm.yaml"
runner = CliRunner()


def seed_records(url: str) -> None:
    store = open_store(url)
    try:
        access = SqlAccessStore(store.engine)
        at = datetime(2026, 10, 6, 14, 30, tzinfo=UTC)  # 23:30 KST: off-hours
        request = AccessRequest("op-kim", ("s1", "s2"), ("login_id",), "member_management", "문의", "10.0.0.1", at)
        with access.transaction() as session:
            session.append(chain_records([(request, Decision(True))], session.head()))
    finally:
        store.close()


def test_grant_then_review_and_verify(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    granted = runner.invoke(
        app, ["operators", "grant", "op-kim", "other_staff", "--policy", str(POLICY), "--actor", "cpo", "--db", url]
    )
    assert granted.exit_code == 0, granted.output
    bad_role = runner.invoke(
        app, ["operators", "grant", "op-kim", "boss", "--policy", str(POLICY), "--actor", "cpo", "--db", url]
    )
    assert bad_role.exit_code == 1
    assert "role 'boss' is not declared" in bad_role.output
    seed_records(url)
    ok = runner.invoke(app, ["audit", "verify", "--db", url])
    assert ok.exit_code == 0
    assert "ok: 2 access records" in ok.output
    report = tmp_path / "review.html"
    done = runner.invoke(
        app,
        [
            "audit",
            "review",
            "--month",
            "2026-10",
            "--policy",
            str(POLICY),
            "-f",
            "html",
            "-o",
            str(report),
            "--db",
            url,
        ],
    )
    assert done.exit_code == 0, done.output
    page = report.read_text("utf-8")
    assert "업무시간 외 열람" in page
    assert "<svg" in page


def test_verify_names_the_altered_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    seed_records(url)
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE access_records SET operator = 'x', body = :b WHERE seq = 2"), {"b": b"{}"})
    store.close()
    result = runner.invoke(app, ["audit", "verify", "--db", url])
    assert result.exit_code == 1
    assert "record 2" in result.output


def test_review_refuses_a_bad_month(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "review", "--month", "2026-13", "--policy", str(POLICY)])
    assert result.exit_code == 2


def test_verify_starts_at_the_checkpoint_after_records_reached_their_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    seed_records(url)
    seed_records(url)
    store = open_store(url)
    try:
        pruned = SqlAccessStore(store.engine).prune(datetime(2026, 10, 6, 14, 31, tzinfo=UTC))
    finally:
        store.close()
    assert pruned == 4
    seed_records(url)
    result = runner.invoke(app, ["audit", "verify", "--db", url])
    assert result.exit_code == 0, result.output
    assert "ok: 2 access records" in result.output

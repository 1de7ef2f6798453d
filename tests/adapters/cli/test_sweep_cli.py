"""`jikimi sweep`, `sweep certificate` and `holds`: dry run, destruction, certificate, holds, bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from jikimi.adapters.cli import app
from jikimi.adapters.storage.retention_store import open_retention_store
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod
from jikimi.vault import init_key_file

POLICY = Path(__file__).resolve().parents[3] / "examples" / "policies" / "1mm.yaml"
runner = CliRunner()


def test_sweep_dry_run_sweep_certificate_and_holds(tmp_path: Path) -> None:
    key, url = tmp_path / "jikimi.key", f"sqlite:///{tmp_path / 's.db'}"
    store = open_retention_store(url)
    engine = Engine(load_policy(POLICY), store, init_key_file(key), FixedClock(datetime(2026, 3, 2, tzinfo=UTC)))
    data = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}
    sid = engine.collect("signup", "general", data, {"service_improvement": True}, ConsentMethod.WEB_CLICK, "f").subject
    engine.record(sid, "visit_log", {"access_log": "GET /", "ip_address": "192.0.2.1"})
    engine.end_purpose(sid)
    store.close()
    common = ["--db", url, "--policy", str(POLICY), "--key-file", str(key)]

    early = runner.invoke(app, ["sweep", *common, "--now", "2026-05-01", "--dry-run"])
    assert early.exit_code == 0, early.output
    assert "would destroy 0 buckets" in early.output
    dry = runner.invoke(app, ["sweep", *common, "--now", "2026-06-03", "--dry-run"])
    assert "visit_logs: would destroy 1 buckets, 2 items" in dry.output
    unknown = runner.invoke(app, ["holds", "place", "s_nobody", "--reason", "분쟁", "--actor", "op-1", *common])
    assert unknown.exit_code == 1
    assert "no subject s_nobody" in unknown.output
    placed = runner.invoke(app, ["holds", "place", sid, "--reason", "분쟁 TEST-1", "--actor", "op-1", *common])
    assert placed.exit_code == 0, placed.output
    held = runner.invoke(app, ["sweep", *common, "--now", "2026-06-03"])
    assert "destroyed 0 buckets" in held.output
    released = runner.invoke(app, ["holds", "release", "1", "--actor", "op-1", *common])
    assert released.exit_code == 0, released.output
    done = runner.invoke(app, ["sweep", *common, "--now", "2026-06-03", "--batch", "1"])
    assert done.exit_code == 0, done.output
    assert "visit_logs: destroyed 1 buckets, 2 items" in done.output
    assert "1/1 buckets destroyed" in done.output  # the progress line (stderr, mixed in by the runner)

    out = tmp_path / "certificate.html"
    cert = runner.invoke(app, ["sweep", "certificate", "--from", "2026-01-01", "--to", "2026-12-31", "-o", str(out)])
    assert cert.exit_code == 2  # --policy and --key-file are required
    cert = runner.invoke(
        app, ["sweep", "certificate", "--from", "2026-01-01", "--to", "2026-12-31", "-o", str(out), *common]
    )
    assert cert.exit_code == 0, cert.output
    html = out.read_text("utf-8")
    assert "개인정보 파기 확인서" in html
    assert "접속기록" in html or "visit_logs" in html
    for personal in (sid, "hong", "010-0000-1001", "192.0.2.1"):
        assert personal not in html

    wrong = tmp_path / "other.key"
    init_key_file(wrong)
    refused = runner.invoke(app, ["sweep", "--db", url, "--policy", str(POLICY), "--key-file", str(wrong)])
    assert refused.exit_code == 1
    assert "error:" in refused.output

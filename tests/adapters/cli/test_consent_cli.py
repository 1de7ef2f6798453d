"""`jikimi consent verify`: an intact ledger passes; a tampered one fails naming the first broken link."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from jikimi.adapters.cli import app
from jikimi.adapters.storage.consent_store import open_consent_store
from jikimi.adapters.storage.consent_tables import consent_events
from jikimi.engine import Engine
from jikimi.policy import load_policy
from jikimi.policy.model import ConsentMethod
from jikimi.vault import init_key_file

POLICY = Path(__file__).resolve().parents[3] / "examples" / "policies" / "1mm.yaml"
runner = CliRunner()


def test_consent_verify_reports_the_first_broken_link(tmp_path: Path) -> None:
    key, url = tmp_path / "jikimi.key", f"sqlite:///{tmp_path / 'c.db'}"
    store = open_consent_store(url)
    engine = Engine(load_policy(POLICY), store, init_key_file(key))
    data = {"mobile_phone": "010-0000-1001", "email": "hong@example.com", "login_id": "hong1001"}
    engine.collect("signup", "general", data, {"service_improvement": True}, ConsentMethod.WEB_CLICK, "f-1")
    args = ["consent", "verify", "--db", url, "--policy", str(POLICY), "--key-file", str(key)]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert "ok: 2 consent events" in ok.output
    with store.engine.begin() as conn:
        conn.execute(update(consent_events).where(consent_events.c.seq == 1).values(subject="s_someone_else"))
    store.close()
    broken = runner.invoke(app, args)
    assert broken.exit_code == 1
    assert "event 1" in broken.output
    missing = runner.invoke(app, [*args[:-1], str(tmp_path / "none.key")])
    assert missing.exit_code == 1
    assert "does not exist" in missing.output

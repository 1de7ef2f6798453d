"""The `jikimi policy` commands: exit codes, FILE:LINE:COLUMN output, no stack traces."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from jikimi.adapters.cli import app

DATA = Path(__file__).resolve().parents[2] / "policy" / "data"
runner = CliRunner()


def test_validate_ok() -> None:
    result = runner.invoke(app, ["policy", "validate", str(DATA / "minimal.yaml")])
    assert result.exit_code == 0
    assert result.output.strip().endswith("minimal.yaml: ok")


def test_validate_reports_each_problem_as_file_line_column(tmp_path: Path) -> None:
    text = (DATA / "minimal.yaml").read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace("searchable: true", "searchible: true").replace("admitted: false", "admitted: maybe"),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["policy", "validate", str(bad), str(DATA / "minimal.yaml")])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 2
    for line in lines:
        assert re.match(rf"^{re.escape(str(bad))}:\d+:\d+: \S", line), line
    assert "Traceback" not in result.output + result.stderr
    assert "minimal.yaml: ok" in result.stdout


def test_validate_yaml_syntax_error_is_one_clean_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("format: 1\ncontroller: {name: x\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "validate", str(bad)])
    assert result.exit_code == 1
    assert re.match(rf"^{re.escape(str(bad))}:\d+:\d+: YAML syntax", result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_show_prints_a_summary() -> None:
    result = runner.invoke(app, ["policy", "show", str(DATA / "minimal.yaml")])
    assert result.exit_code == 0
    assert "예시 서비스 — 주식회사 예시" in result.stdout
    assert "회원 정보: 회원 탈퇴(해지) 후 지체 없이 파기" in result.stdout


def test_schema_is_json_with_the_policy_sections() -> None:
    result = runner.invoke(app, ["policy", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "retention" in schema["properties"]


def test_demo_fails_cleanly_on_an_empty_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "no policy files" in result.stderr


def test_unwritable_output_is_a_clean_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "schema.json"
    result = runner.invoke(app, ["policy", "schema", "-o", str(target)])
    assert result.exit_code == 1
    assert f"error: cannot write {target}" in result.stderr
    assert not isinstance(result.exception, OSError)


def test_lint_refuses_a_bad_date() -> None:
    result = runner.invoke(app, ["policy", "lint", str(DATA / "minimal.yaml"), "--today", "2024-13-01"])
    assert result.exit_code == 2
    assert "--today is a date YYYY-MM-DD" in result.output + result.stderr

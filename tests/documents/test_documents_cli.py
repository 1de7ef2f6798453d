"""``jikimi policy render | lint | diff``: thin commands, clean messages, exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jikimi.adapters.cli import app

runner = CliRunner()
DATA = Path(__file__).parent / "data"
MINIMAL = Path(__file__).parents[1] / "policy" / "data" / "minimal.yaml"


def test_render_html_and_markdown_to_files(tmp_path: Path) -> None:
    out = tmp_path / "policy.html"
    result = runner.invoke(app, ["policy", "render", str(DATA / "full.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text("utf-8").startswith("<!DOCTYPE html>")
    md = runner.invoke(app, ["policy", "render", str(MINIMAL), "--format", "md"])
    assert md.exit_code == 0
    assert md.output.startswith("# 개인정보 처리방침")


def test_render_with_previous_versions_lists_the_history() -> None:
    args = ["policy", "render", str(DATA / "v2.yaml"), "--previous", str(MINIMAL), "-f", "md"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "| 1.0 | 2026-01-01 | 제정 |" in result.output


def test_render_rejects_an_unknown_format() -> None:
    result = runner.invoke(app, ["policy", "render", str(MINIMAL), "--format", "pdf"])
    assert result.exit_code == 2


def test_lint_exit_code_follows_errors(tmp_path: Path) -> None:
    bad = tmp_path / "old.txt"
    bad.write_text("개인정보취급방침\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "lint", str(bad), "--today", "2026-11-25"])
    assert result.exit_code == 1
    assert f"{bad}:1:5: error [R-POL-9]" in result.output
    report = runner.invoke(app, ["policy", "lint", str(bad), "--format", "md"])
    assert "| 1:5 | R-POL-9 | error |" in report.output


def test_lint_unreadable_file_is_one_clean_message(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = runner.invoke(app, ["policy", "lint", str(missing)])
    assert result.exit_code == 2
    assert "cannot read the file" in result.output
    assert "Traceback" not in result.output


def test_diff_prints_the_korean_report() -> None:
    result = runner.invoke(app, ["policy", "diff", str(MINIMAL), str(DATA / "v2.yaml")])
    assert result.exit_code == 0, result.output
    assert "변경 구분: 중요한 변경" in result.output
    assert "공지 시작일: 2026-01-30까지" in result.output
    backwards = runner.invoke(app, ["policy", "diff", str(DATA / "v2.yaml"), str(MINIMAL)])
    assert backwards.exit_code == 1


def _other(tmp_path: Path, old: str, new: str) -> Path:
    """v2.yaml edited into another service's (or controller's) policy."""
    text = (DATA / "v2.yaml").read_text("utf-8")
    assert old in text
    path = tmp_path / "other.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_diff_refuses_another_services_policy(tmp_path: Path) -> None:
    other = _other(tmp_path, "  key: example\n", "  key: another\n")
    result = runner.invoke(app, ["policy", "diff", str(MINIMAL), str(other)])
    assert result.exit_code == 1
    assert "not versions of the same service: 'example'" in result.output
    assert "Traceback" not in result.output


def test_diff_refuses_another_controllers_policy(tmp_path: Path) -> None:
    other = _other(tmp_path, "  name: 주식회사 예시\n", "  name: 주식회사 다른회사\n")
    result = runner.invoke(app, ["policy", "diff", str(MINIMAL), str(other)])
    assert result.exit_code == 1
    assert "not versions of the same controller: '주식회사 예시' and '주식회사 다른회사'" in result.output


def test_render_refuses_a_previous_version_of_another_service(tmp_path: Path) -> None:
    other = _other(tmp_path, "  key: example\n", "  key: another\n")
    result = runner.invoke(app, ["policy", "render", str(other), "--previous", str(MINIMAL), "-f", "md"])
    assert result.exit_code == 1
    assert "not versions of the same service" in result.output
    assert "# 개인정보 처리방침" not in result.output

"""Documentation that cannot rot (STYLE.md habit 9): the policy-format page's examples load, and every section is
documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from jikimi.policy import Policy, load_policy_text

ROOT = Path(__file__).resolve().parents[1]
FORMAT_DOC = (ROOT / "docs" / "policy-format.md").read_text("utf-8")


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, flags=re.DOTALL)


def merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            into[key].update(value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key].extend(value)
        else:
            into[key] = value


def test_every_section_of_the_model_is_documented() -> None:
    headings = " ".join(re.findall(r"^### (.+)$", FORMAT_DOC, flags=re.MULTILINE))
    documented = set(re.findall(r"[a-z_]+", headings))
    assert set(Policy.model_fields) - documented == set()


def test_the_examples_of_the_format_page_form_one_valid_policy() -> None:
    blocks = yaml_blocks(FORMAT_DOC)
    assert len(blocks) > 10
    policy: dict[str, Any] = {}
    for block in blocks:
        merge(policy, yaml.safe_load(block))
    loaded = load_policy_text(yaml.safe_dump(policy, allow_unicode=True), "policy-format.md")
    assert loaded.service.key == "example"
    assert loaded.purposes["marketing"].marketing


def test_readme_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)$", quick, flags=re.MULTILINE)
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text("utf-8")


def test_readme_python_examples_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # the documentation's own example, run as written
    assert capsys.readouterr().out.strip()

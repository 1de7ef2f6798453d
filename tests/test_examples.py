"""Every shipped example policy validates, and `jikimi demo` (what `make run` runs) summarises all five."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jikimi.adapters.cli import app
from jikimi.policy import load_policy

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "policies"
SOURCES = ["1mm", "partnercenter", "ooccnnmm", "123solution", "ktmns"]


@pytest.mark.parametrize("name", SOURCES)
def test_example_policy_validates(name: str) -> None:
    policy = load_policy(EXAMPLES / f"{name}.yaml")
    assert policy.items
    assert policy.purposes


def test_demo_summarises_every_example() -> None:
    result = CliRunner().invoke(app, ["demo", str(EXAMPLES)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("== ") == len(SOURCES)
    assert "5 of 5 policies valid." in result.stdout

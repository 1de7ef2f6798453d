"""docs/cli.md is generated from the commands: a command or option missing from the docs fails here."""

from __future__ import annotations

from pathlib import Path

from jikimi.adapters.cli import app
from jikimi.adapters.cli.reference import cli_reference

DOC = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def test_cli_reference_is_current() -> None:
    assert DOC.read_text("utf-8") == cli_reference(app), "docs/cli.md is stale: run `make cli-docs`"


def test_reference_names_every_command_group() -> None:
    text = cli_reference(app)
    for command in ("jikimi policy validate", "jikimi keys init", "jikimi db upgrade", "jikimi demo"):
        assert f"`{command}`" in text

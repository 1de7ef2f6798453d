"""``jikimi policy ...``: validate, show and describe policy files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikimi.errors import PolicyError
from jikimi.policy import load_policy
from jikimi.policy.schema import policy_json_schema_text
from jikimi.policy.summary import summarize

__all__ = ["policy_app"]

policy_app = typer.Typer(help="Policy-as-code: validate, show and describe policy files.", no_args_is_help=True)

Files = Annotated[list[Path], typer.Argument(help="Policy YAML files.", show_default=False)]


@policy_app.command("validate")
def validate(files: Files) -> None:
    """Check policy files; print FILE:LINE:COLUMN: message for each problem (exit 1 if any)."""
    failed = False
    for file in files:
        try:
            load_policy(file)
        except PolicyError as exc:
            failed = True
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
        else:
            typer.echo(f"{file}: ok")
    if failed:
        raise typer.Exit(1)


@policy_app.command("show")
def show(file: Annotated[Path, typer.Argument(help="A policy YAML file.")]) -> None:
    """Print a readable summary: items, purposes, retention, trustees and recipients."""
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(summarize(policy))


@policy_app.command("schema")
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Print the JSON Schema of the policy format."""
    text = policy_json_schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")

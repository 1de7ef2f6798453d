"""``jikimi demo``: what ``make run`` shows until the service exists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikimi.errors import PolicyError
from jikimi.policy import load_policy
from jikimi.policy.summary import summarize

__all__ = ["demo"]

DEFAULT_DIR = Path("examples/policies")


def demo(
    directory: Annotated[Path, typer.Argument(help="A folder of policy YAML files.")] = DEFAULT_DIR,
) -> None:
    """Load every example policy, validate it and print its summary."""
    files = sorted(directory.glob("*.yaml"))
    if not files:
        typer.echo(f"{directory}: no policy files (*.yaml) found", err=True)
        raise typer.Exit(1)
    failed = 0
    for file in files:
        typer.echo(f"== {file}")
        try:
            policy = load_policy(file)
        except PolicyError as exc:
            failed += 1
            typer.echo(str(exc), err=True)
            continue
        typer.echo(summarize(policy))
        typer.echo("")
    typer.echo(f"{len(files) - failed} of {len(files)} policies valid.")
    if failed:
        raise typer.Exit(1)

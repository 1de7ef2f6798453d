"""The ``jikimi`` command line: one module per command group, each parsing, calling the domain and formatting."""

from __future__ import annotations

import typer

from jikimi.adapters.cli.consent import consent_app
from jikimi.adapters.cli.db import db_app
from jikimi.adapters.cli.demo import demo
from jikimi.adapters.cli.keys import keys_app
from jikimi.adapters.cli.policy import policy_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="jikimi",
    help="jikimi (지키미): process personal information exactly as the privacy policy promises.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(policy_app, name="policy")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")
app.add_typer(consent_app, name="consent")
app.command("demo")(demo)


def main() -> None:
    """Console entry point."""
    app()

"""The ``jikimi`` command line: one module per command group, each parsing, calling the domain and formatting."""

from __future__ import annotations

import typer

from jikimi.adapters.cli.access import audit_app, operators_app
from jikimi.adapters.cli.consent import consent_app
from jikimi.adapters.cli.db import db_app
from jikimi.adapters.cli.demo import demo
from jikimi.adapters.cli.keys import keys_app
from jikimi.adapters.cli.policy import policy_app
from jikimi.adapters.cli.sweep import register as register_sweep

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
app.add_typer(operators_app, name="operators")
app.add_typer(audit_app, name="audit")
app.command("demo")(demo)
register_sweep(app)


def main() -> None:
    """Console entry point."""
    app()

"""``jikimi db ...``: database schema maintenance."""

from __future__ import annotations

import typer

from jikimi.adapters.cli.options import DbOption
from jikimi.adapters.storage import database_url, display_url, upgrade_database
from jikimi.errors import JikimiError

__all__ = ["db_app"]

db_app = typer.Typer(help="Database: schema migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(
    db: DbOption = None,
) -> None:
    """Create or migrate the database schema to this jikimi's version (refuses a newer database)."""
    try:
        revision = upgrade_database(db)
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{display_url(database_url(db))}: schema at revision {revision}")

"""Options and output shared by the command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["DbOption", "OutputOption", "emit"]

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: $JIKIMI_DATABASE_URL, else sqlite:///jikimi.db)."),
]

OutputOption = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` (UTF-8) when given."""
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"error: cannot write {output}: {exc.strerror}", err=True)
        raise typer.Exit(1) from None

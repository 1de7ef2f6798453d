"""``jikimi keys ...``: create a key file, rotate the key-encryption key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikimi.adapters.cli.options import DbOption
from jikimi.adapters.storage import open_store
from jikimi.errors import JikimiError
from jikimi.vault import LocalKeyring, init_key_file, rotate_kek

__all__ = ["keys_app"]

keys_app = typer.Typer(help="Keys: create a key file, rotate the key-encryption key (KEK).", no_args_is_help=True)

DEFAULT_KEY_FILE = Path("jikimi.key")


@keys_app.command("init")
def init(
    key_file: Annotated[
        Path, typer.Option("--key-file", help="Where to write the new key (mode 0600).")
    ] = DEFAULT_KEY_FILE,
) -> None:
    """Write a new key file; never overwrites one (exit 1 if it exists)."""
    try:
        keyring = init_key_file(key_file)
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {key_file} (KEK {keyring.kek_id}, mode 0600)")
    typer.echo("Keep it apart from the database and back it up: without it the data cannot be read.")


@keys_app.command("rotate")
def rotate(
    key_file: Annotated[Path, typer.Option("--key-file", help="The current key file.")],
    new_key_file: Annotated[
        Path,
        typer.Option("--new-key-file", help="The new key file; created (keeping the blind-index key) if absent."),
    ],
    db: DbOption = None,
    batch_size: Annotated[int, typer.Option(help="Data keys re-wrapped per transaction.")] = 1000,
) -> None:
    """Re-wrap every data key under a new KEK. Resumable: if interrupted, run the same command again."""
    store = None
    try:
        old = LocalKeyring.from_file(key_file)
        # The database first: a bad --db must not leave a new key file behind.
        store = open_store(db)
        if new_key_file.exists():
            new = LocalKeyring.from_file(new_key_file)
        else:
            new = init_key_file(new_key_file, index_key=old.index_key())
            typer.echo(f"wrote {new_key_file} (KEK {new.kek_id}, mode 0600)")
        # Rotation needs no policy, so it calls the vault's key function rather than building an Engine.
        report = rotate_kek(store, old, new, batch_size=batch_size)
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        if store is not None:
            store.close()
    typer.echo(f"re-wrapped {report.rewrapped} data keys under {new.kek_id}; {report.remaining} remaining")
    if report.done:
        typer.echo(f"done: {key_file} is no longer needed by this database; destroy it once backups allow.")
    else:
        typer.echo("not finished: run the same command again.")
        raise typer.Exit(1)

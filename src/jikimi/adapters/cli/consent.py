"""``jikimi consent ...``: the consent ledger from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jikimi.adapters.cli.options import DbOption
from jikimi.adapters.storage.consent_store import open_consent_store
from jikimi.engine import Engine
from jikimi.errors import JikimiError
from jikimi.policy import load_policy
from jikimi.vault import LocalKeyring

__all__ = ["consent_app"]

consent_app = typer.Typer(help="Consent: the hash-chained consent ledger.", no_args_is_help=True)


@consent_app.command("verify")
def verify(
    policy: Annotated[Path, typer.Option("--policy", help="The service's policy file (YAML).")],
    key_file: Annotated[Path, typer.Option("--key-file", help="The key file of this database.")],
    db: DbOption = None,
) -> None:
    """Walk the consent ledger's hash chain; exit 1 and name the first broken link if it was tampered with."""
    try:
        store = open_consent_store(db)
        try:
            engine = Engine(load_policy(policy), store, LocalKeyring.from_file(key_file))
            result = engine.verify_consents()
        finally:
            store.close()
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if result.broken is not None:
        typer.echo(f"broken: {result.broken} ({result.events} events read)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {result.events} consent events, chain intact")

"""``jikimi operators ...`` and ``jikimi audit ...``: staff accounts, and the access record's verification and
monthly review."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from jikimi.access import review_rows, to_html, to_markdown, verify_pages
from jikimi.access.review import month_bounds
from jikimi.access.service import Operators
from jikimi.adapters.cli.options import DbOption, OutputOption, emit
from jikimi.adapters.storage import open_store
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.clock import SystemClock
from jikimi.errors import JikimiError
from jikimi.policy import load_policy

__all__ = ["audit_app", "operators_app"]

operators_app = typer.Typer(help="Staff accounts (개인정보취급자) and their roles.", no_args_is_help=True)
audit_app = typer.Typer(help="The access record (접속기록): verify it, review a month.", no_args_is_help=True)

PolicyOption = Annotated[Path, typer.Option("--policy", help="The service's policy file (YAML).")]
ActorOption = Annotated[str, typer.Option("--actor", help="Who makes the change (recorded, R-SEC-4).")]


@contextmanager
def _access(db: str | None) -> Iterator[SqlAccessStore]:
    """The access store of the database; a JikimiError becomes one line on stderr and exit 1."""
    try:
        store = open_store(db)
        try:
            yield SqlAccessStore(store.engine)
        finally:
            store.close()
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@operators_app.command("grant")
def grant(
    operator: Annotated[str, typer.Argument(help="The operator's account id.")],
    role: Annotated[str, typer.Argument(help="A role the policy declares.")],
    policy: PolicyOption,
    actor: ActorOption,
    db: DbOption = None,
) -> None:
    """Create an operator account with a role, or change its role (logged)."""
    with _access(db) as access:
        Operators(load_policy(policy), access, SystemClock()).grant(operator, role, actor)
    typer.echo(f"{operator}: role {role}")


@operators_app.command("disable")
def disable(
    operator: Annotated[str, typer.Argument(help="The operator's account id.")],
    policy: PolicyOption,
    actor: ActorOption,
    db: DbOption = None,
) -> None:
    """Revoke an operator's access (logged)."""
    with _access(db) as access:
        Operators(load_policy(policy), access, SystemClock()).disable(operator, actor)
    typer.echo(f"{operator}: disabled")


@audit_app.command("verify")
def verify_command(db: DbOption = None) -> None:
    """Walk the access record's hash chain; exit 1 naming the first altered or missing record."""
    with _access(db) as access:
        # From the checkpoint that records past their retention left (R-SEC-22).
        count, broken = verify_pages(access.chain_pages(), access.checkpoint())
    if broken is not None:
        typer.echo(f"broken: {broken} ({count} records read)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {count} access records, chain intact")


@audit_app.command("review")
def review_command(
    month: Annotated[str, typer.Option("--month", help="The month to review, YYYY-MM (days in KST).")],
    policy: PolicyOption,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md or html.")] = "md",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """The monthly review of the access record for the privacy officer (R-SEC-23)."""
    try:
        start, end = month_bounds(month)
    except ValueError:
        raise typer.BadParameter("--month is YYYY-MM") from None
    if fmt not in ("md", "html"):
        raise typer.BadParameter("--format is md or html")
    with _access(db) as access:
        result = review_rows(access.review_rows(start, end), load_policy(policy), month)
    emit(to_html(result) if fmt == "html" else to_markdown(result), output)

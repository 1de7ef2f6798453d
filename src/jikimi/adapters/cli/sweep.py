"""``jikimi sweep`` (destroy what is due, resumably; ``certificate`` for an audit) and ``jikimi holds``.

``jikimi sweep`` is what a cron job or a systemd timer runs (docs/retention.md). Progress goes to stderr, the
summary to stdout. Times given without a UTC offset are Korean time (KST), as an operator in Korea means them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from jikimi.adapters.cli.options import DbOption, OutputOption, emit
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.adapters.storage.retention_store import open_retention_store
from jikimi.engine import Engine
from jikimi.errors import JikimiError
from jikimi.policy import load_policy
from jikimi.retention import SweepProgress
from jikimi.retention.certificate import KST
from jikimi.vault import LocalKeyring

__all__ = ["holds_app", "register", "sweep_app"]

sweep_app = typer.Typer(
    help="Sweep: destroy every kept bucket whose retention period is over (resumable; --dry-run lists it).",
    invoke_without_command=True,
)
holds_app = typer.Typer(help="Legal holds: keep named subjects' data past expiry until released.", no_args_is_help=True)

PolicyOption = Annotated[Path | None, typer.Option("--policy", help="The service's policy file (YAML).")]
KeyOption = Annotated[Path | None, typer.Option("--key-file", help="The key file of this database.")]
T = TypeVar("T")


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``holds`` to the ``jikimi`` command."""
    app.add_typer(sweep_app, name="sweep")
    app.add_typer(holds_app, name="holds")


def _when(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or time (2031-03-02 or 2031-03-02T09:00+09:00)"
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=KST)


@contextmanager
def _engine(db: str | None, policy: Path | None, key_file: Path | None) -> Iterator[Engine]:
    if policy is None or key_file is None:
        typer.echo("error: --policy and --key-file are required", err=True)
        raise typer.Exit(2)
    store = open_retention_store(db)
    try:
        # Building the engine checks the key against the database: a wrong KEK refuses before anything is read.
        yield Engine(
            load_policy(policy), store, LocalKeyring.from_file(key_file), access_store=SqlAccessStore(store.engine)
        )
    finally:
        store.close()


def _run(db: str | None, policy: Path | None, key_file: Path | None, use: Callable[[Engine], T]) -> T:
    try:
        with _engine(db, policy, key_file) as engine:
            return use(engine)
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def _progress(p: SweepProgress) -> None:
    typer.echo(f"\rsweep: {p.buckets:,}/{p.total:,} buckets destroyed ({p.batches:,} batches)", err=True, nl=False)


@sweep_app.callback()
def sweep(
    ctx: typer.Context,
    db: DbOption = None,
    policy: PolicyOption = None,
    key_file: KeyOption = None,
    now: Annotated[str | None, typer.Option("--now", help="Sweep as of this time (ISO; default: now).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be destroyed; destroy nothing.")] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Buckets shredded per transaction.")] = 10_000,
) -> None:
    """Destroy every due kept bucket: keys first, rows after; a killed run is finished by the next one."""
    if ctx.invoked_subcommand is not None:
        return
    at = _when(now) if now else None
    report = _run(
        db,
        policy,
        key_file,
        lambda e: e.sweep(at, dry_run=dry_run, batch=batch, progress=None if dry_run else _progress),
    )
    if report.batches:
        typer.echo("", err=True)
    verb = "would destroy" if dry_run else "destroyed"
    for count in report.by_rule:
        typer.echo(f"{count.rule}: {verb} {count.buckets:,} buckets, {count.fields:,} items")
    typer.echo(f"{verb} {report.buckets:,} buckets as of {report.now.astimezone(KST).isoformat()}")
    if report.consent_events:
        typer.echo(
            f"{verb} the consent records of {report.consent_subjects:,} destroyed subjects "
            f"({report.consent_events:,} ledger events tombstoned; proof period over)"
        )
    if report.access_records:
        typer.echo(f"destroyed {report.access_records:,} access records past their retention (R-SEC-22)")


@sweep_app.command("certificate")
def certificate(
    start: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, Korean time).")],
    end: Annotated[str, typer.Option("--to", help="Last day, included (YYYY-MM-DD, Korean time).")],
    output: OutputOption = None,
    db: DbOption = None,
    policy: PolicyOption = None,
    key_file: KeyOption = None,
) -> None:
    """Write the destruction certificate (개인정보 파기 확인서, HTML) for a period; it holds no personal data."""
    first = datetime.combine(_when(start).date(), time(), KST)
    after = datetime.combine(_when(end).date(), time(), KST) + timedelta(days=1)
    emit(_run(db, policy, key_file, lambda e: e.destruction_certificate(first, after)), output)


@holds_app.command("place")
def place(
    subject: Annotated[str, typer.Argument(help="The subject's internal id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why: a dispute or investigation reference.")],
    actor: Annotated[str, typer.Option("--actor", help="Who places it (an operator id).")],
    db: DbOption = None,
    policy: PolicyOption = None,
    key_file: KeyOption = None,
) -> None:
    """Hold a subject's data past expiry until released (exit 1 for an unknown subject)."""
    hold = _run(db, policy, key_file, lambda e: e.place_hold(subject, reason, actor))
    typer.echo(f"placed hold {hold} on {subject}")


@holds_app.command("release")
def release(
    hold: Annotated[int, typer.Argument(help="The hold's id.")],
    actor: Annotated[str, typer.Option("--actor", help="Who releases it (an operator id).")],
    db: DbOption = None,
    policy: PolicyOption = None,
    key_file: KeyOption = None,
) -> None:
    """Release a hold; the next sweep destroys what expired meanwhile."""
    _run(db, policy, key_file, lambda e: e.release_hold(hold, actor))
    typer.echo(f"released hold {hold}")

"""``jikimi policy ...``: validate, show, render, lint and compare policy files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from jikimi.adapters.cli.options import OutputOption, emit
from jikimi.documents import diff_policies, render_policy, version_history
from jikimi.documents.importer import NO_FACTS, extract_facts, import_policy, read_policy_text, text_problem
from jikimi.errors import JikimiError, PolicyError
from jikimi.policy import load_policy
from jikimi.policy.lint import Severity, findings_markdown, lint_file
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
    output: OutputOption = None,
) -> None:
    """Print the JSON Schema of the policy format."""
    text = policy_json_schema_text()
    emit(text, output)


@policy_app.command("render")
def render(
    file: Annotated[Path, typer.Argument(help="A policy YAML file.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html or md.")] = "html",
    output: OutputOption = None,
    previous: Annotated[
        list[Path] | None,
        typer.Option("--previous", help="An earlier version of the policy, for the version history."),
    ] = None,
) -> None:
    """Write the published 개인정보 처리방침 (R-POL-1) as HTML or Markdown."""
    if fmt not in ("html", "md"):
        raise typer.BadParameter("--format is html or md")
    try:
        policy = load_policy(file)
        history = version_history([*(load_policy(p) for p in previous or ()), policy])
        text = render_policy(policy, "html" if fmt == "html" else "md", history)
    except JikimiError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    emit(text, output)


@policy_app.command("lint")
def lint(
    files: Annotated[list[Path], typer.Argument(help="Policy YAML files or policy texts (.txt, .md).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or md (a report).")] = "text",
    today: Annotated[str | None, typer.Option(help="Check as of this date (YYYY-MM-DD); default today.")] = None,
) -> None:
    """Check policies against law.md; print each finding with its rule id and fix (exit 1 on any error)."""
    try:
        as_of = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise typer.BadParameter("--today is a date YYYY-MM-DD") from None
    results = []
    try:
        for file in files:
            results.append((str(file), lint_file(file, as_of)))
    except JikimiError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if fmt == "md":
        typer.echo(findings_markdown(results), nl=False)
    else:
        for _, findings in results:
            for finding in findings:
                typer.echo(str(finding))
    if any(f.severity is Severity.ERROR for _, findings in results for f in findings):
        raise typer.Exit(1)


@policy_app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The published version (YAML).")],
    new: Annotated[Path, typer.Argument(help="The next version (YAML).")],
) -> None:
    """Show what changes, section by section, whether it is material, and when to announce it (R-POL-4)."""
    try:
        result = diff_policies(load_policy(old), load_policy(new))
    except JikimiError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(result.report())


def _policy_text(file: Path) -> str:
    """The text of a policy file, or exit: 2 when it cannot be read, 1 when it is not a policy text."""
    try:
        text = read_policy_text(file)
    except JikimiError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if problem := text_problem(text):
        typer.echo(f"error: {file}: {problem}", err=True)
        raise typer.Exit(1)
    return text


@policy_app.command("import")
def import_text(
    file: Annotated[Path, typer.Argument(help="A published policy text (.txt or .md; UTF-8 or CP949).")],
    output: OutputOption = None,
) -> None:
    """Turn a policy text into a draft policy YAML; print what could not be placed (exit 1 if nothing was found)."""
    text = _policy_text(file)
    draft, report = import_policy(text, file.name)
    if not draft:
        typer.echo(f"error: {file}: {'; '.join(report)}", err=True)
        raise typer.Exit(1)
    emit(draft, output)
    typer.echo(f"{file}: {len(report)} thing(s) not placed", err=True)
    for line in report:
        typer.echo(f"  - {line}", err=True)


@policy_app.command("facts")
def facts(
    file: Annotated[Path, typer.Argument(help="A published policy text (.txt or .md; UTF-8 or CP949).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the facts as JSON.")] = False,
) -> None:
    """Print the facts read from a policy text: effective date, officer, retention, trustees, recipients, items."""
    found = extract_facts(_policy_text(file))
    data = found.to_json()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        o = data["officer"]
        typer.echo(f"effective date: {data['effective_date'] or '-'}")
        typer.echo(f"officer: {o['name'] or '-'} ({o['phone'] or '-'}, {o['email'] or '-'})")
        for r in data["retention"]:
            typer.echo(f"retention: {r['record']} — {r['period'] or '-'} — {r['basis'] or '-'}")
        for t in data["trustees"]:
            typer.echo(f"trustee: {t['name']} — {t['task'] or '-'}")
        for r in data["recipients"]:
            typer.echo(f"recipient: {r['name']} — {r['purpose'] or '-'}")
        typer.echo(f"items: required {', '.join(data['items']['required']) or '-'}")
        typer.echo(f"items: optional {', '.join(data['items']['optional']) or '-'}")
    if found.is_empty():
        typer.echo(f"{file}: {NO_FACTS}", err=True)
        raise typer.Exit(1)

"""Profile one figure's operation with py-spy: ``python -m bench.profile WORKLOAD`` sets up a database (untimed, not
sampled) and then runs only the operation, N times, so that a sampling profiler attached to it sees that alone.

    py-spy record --native --rate 500 --format raw -o signup.txt -- .venv/bin/python -m bench.profile signup
    .venv/bin/python -m bench.profile summarize signup.txt

Workloads (SQLite, the figures furthest below their targets, docs/performance.md "Where the time goes"):

- ``signup``: ``Engine.collect`` of 8 items and 4 consents, one transaction each;
- ``gated-read``: ``AccessService.read`` of 4 items of one subject, one access record committed per read;
- ``get``: ``Vault.get`` of one subject's 8 fields.

``summarize`` reads py-spy's raw output (one collapsed stack and its sample count per line) and prints, for the
samples of the operation (not of the set-up), the share of time under each kind of work (SQLite, AES-GCM, HMAC and
SHA-256, JSON, SQLAlchemy, and the rest: jikimi's own Python) and the Python functions with the most samples.
py-spy is not one of jikimi's dependencies: ``.venv/bin/pip install py-spy``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.access import ITEMS, ROLES, START, _AllConsented
from bench.consent import CONSENT_POLICY, CONSENTS, NOW
from bench.vault import BENCH_POLICY, record
from jikimi.access import AccessRequest
from jikimi.access.service import AccessService, Operators
from jikimi.adapters.storage import SqlVaultStore, open_store
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.adapters.storage.consent_store import SqlConsentStore
from jikimi.clock import FixedClock
from jikimi.engine import Engine
from jikimi.policy import Policy, load_policy_text
from jikimi.policy.model import ConsentMethod
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault

__all__ = ["main"]

#: Marks the end of set-up in the profile: samples under ``_measured`` only are summarised.
_MEASURED = "_measured"
# Kinds of work, by frames anywhere in a sample's stack (py-spy --native: C frames too), first match wins. They do
# not nest in one another: SQLite never calls OpenSSL, nor SQLAlchemy JSON.
_KINDS = (
    ("HMAC and SHA-256 (blind index, hash chains)", ("_hashlib", "hmac.py", "hashlib.py")),
    ("AES-GCM (cryptography and its OpenSSL)", ("_rust.abi3", "libcrypto")),
    ("SQLite (library and driver)", ("libsqlite3", "cursor.c", "_sqlite3", "connection.c", "statement.c")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("JSON", ("json/", "_json")),
)


_REST = "the rest: jikimi's Python"


def _signup(n: int, workdir: str) -> None:
    store = open_store(f"sqlite:///{workdir}/profile.db")
    policy = load_policy_text(CONSENT_POLICY)
    engine = Engine(policy, SqlConsentStore.over(store), LocalKeyring.generate(), FixedClock(NOW))
    collect = engine.collect

    def _measured() -> None:
        for i in range(n):
            collect("signup", None, record(i), CONSENTS, ConsentMethod.WEB_CLICK, "bench")

    _run(_measured, n)


def _vault(n: int, workdir: str) -> tuple[Vault, list[str], Policy, SqlVaultStore]:
    policy = load_policy_text(BENCH_POLICY + ROLES, "bench")
    store = open_store(f"sqlite:///{workdir}/profile.db")
    vault = Vault(policy, store, LocalKeyring.generate(), passwords=PasswordHashing(Argon2Params.cheap()))
    ids = [f"s-{i:07d}" for i in range(n)]
    vault.put_many([(ids[i], record(i)) for i in range(n)])
    return vault, ids, policy, store


def _gated_read(n: int, workdir: str) -> None:
    vault, ids, policy, store = _vault(n, workdir)
    access = SqlAccessStore(store.engine)
    Operators(policy, access, FixedClock(START)).grant("op-1", "support", actor="bench")
    service = AccessService(policy, access, _AllConsented(), lambda s, i, _p: vault.get_many(s, i))
    asks = [
        AccessRequest("op-1", (ids[i],), ITEMS, "membership", "문의", "10.0.0.1", START + timedelta(seconds=i))
        for i in range(n)
    ]
    read = service.read

    def _measured() -> None:
        for ask in asks:
            read(ask)

    _run(_measured, n)


def _get(n: int, workdir: str) -> None:
    vault, ids, _, _ = _vault(n, workdir)
    get = vault.get

    def _measured() -> None:
        for subject in ids:
            get(subject)

    _run(_measured, n)


def _run(measured: Callable[[], None], n: int) -> None:
    assert measured.__name__ == _MEASURED  # summarize finds the operation's samples by this frame
    start = time.perf_counter()
    measured()
    print(f"{n:,} in {time.perf_counter() - start:.2f} s", file=sys.stderr)


def summarize(path: Path) -> str:
    """The share of the measured samples under each kind of work, and the Python functions with the most samples
    (a C call counts for the Python function that made it)."""
    kinds: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(frame.split(" ", 1)[0].endswith(_MEASURED) for frame in frames):
            continue  # set-up
        n = int(count)
        total += n
        python = [frame for frame in frames if ".py:" in frame]
        own[python[-1].rsplit(":", 1)[0] + ")"] += n
        kind = next((name for name, marks in _KINDS if any(mark in stack for mark in marks)), _REST)
        kinds[kind] += n
    if not total:
        return "no samples of the measured operation"
    lines = [f"{total:,} samples of the measured operation", "", "| where | share |", "|---|---:|"]
    lines += [f"| {kind} | {n / total:.0%} |" for kind, n in kinds.most_common()]
    lines += ["", "| Python function (samples in it or in the C it calls) | share |", "|---|---:|"]
    lines += [f"| {frame} | {n / total:.1%} |" for frame, n in own.most_common(10)]
    return "\n".join(lines)


WORKLOADS = {"signup": (_signup, 5_000), "gated-read": (_gated_read, 20_000), "get": (_get, 50_000)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=[*WORKLOADS, "summarize"])
    parser.add_argument("path", nargs="?", help="summarize: py-spy's raw output")
    parser.add_argument("-n", type=int, help="operations to run (default: the workload's own)")
    args = parser.parse_args(argv)
    if args.workload == "summarize":
        if not args.path:
            parser.error("summarize needs the path of py-spy's raw output")
        print(summarize(Path(args.path)))
        return
    run, default = WORKLOADS[args.workload]
    with tempfile.TemporaryDirectory() as workdir:
        run(args.n or default, workdir)


if __name__ == "__main__":
    main()

"""Access benchmarks: purpose-checked reads with their access records, record verification, the monthly review.

Figures (rates, higher is better):

- purpose-checked reads: ``AccessService.read`` of 4 items of one subject, gate + one access record committed
  before the data is decrypted; reference: ``Vault.get`` of the same 4 items (no gate, no record);
- the same with group commit: ``AccessService.read_many`` of 100 requests per commit;
- record verification from the database; reference: raw SHA-256 chaining of the same bodies;
- the monthly review over the stored records (records/s; 10M records in 60 s is 167,000/s).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from bench.vault import BENCH_POLICY, Figure, record
from jikimi.access import AccessRequest, SubjectFacts, review
from jikimi.access.service import AccessService, Operators
from jikimi.adapters.storage import SqlVaultStore
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.clock import FixedClock
from jikimi.policy import load_policy_text
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault

__all__ = ["run_access_benchmarks"]

ITEMS = ("name", "phone", "email", "address")
START = datetime(2026, 10, 1, 1, tzinfo=UTC)
ROLES = "\nroles:\n  support: {label: 고객상담, purposes: [membership]}\n"


class _AllConsented:
    def facts(self, subjects: Iterable[str]) -> Mapping[str, SubjectFacts]:
        return dict.fromkeys(subjects, SubjectFacts())


def _raw_chain(bodies: list[bytes]) -> float:
    prev, sha256 = bytes(32), hashlib.sha256
    start = time.perf_counter()
    for body in bodies:
        prev = sha256(prev + body).digest()
    return len(bodies) / (time.perf_counter() - start)


def run_access_benchmarks(
    open_db: Callable[[], tuple[SqlVaultStore, str, str | None]], subjects: int, runs: int, log: Callable[[str], None]
) -> list[Figure]:
    policy = load_policy_text(BENCH_POLICY + ROLES, "bench")
    n_subjects = min(subjects, 20_000)
    n_reads = min(subjects, 10_000)
    reads = Figure(
        "purpose-checked reads, 4 items + 1 access record",
        "reads/s",
        reference_name="Vault.get, same items",
        target=">= 25,000",
    )
    grouped = Figure("  the same, 100 reads per commit (read_many)", "reads/s")
    verified = Figure(
        "access record verification (from the database)",
        "records/s",
        reference_name="raw SHA-256 chaining",
        target=">= 500,000",
    )
    reviewed = Figure("monthly review", "records/s", target=">= 167,000 (10M in 60 s)")
    for run in range(runs + 1):
        store, _url, _schema = open_db()
        vault = Vault(policy, store, LocalKeyring.generate(), passwords=PasswordHashing(Argon2Params.cheap()))
        ids = [f"s-{i:07d}" for i in range(n_subjects)]
        vault.put_many([(sid, record(i)) for i, sid in enumerate(ids)])
        access = SqlAccessStore(store.engine)
        Operators(policy, access, FixedClock(START)).grant("op-1", "support", actor="bench")
        service = AccessService(policy, access, _AllConsented(), lambda s, i, _p, v=vault: v.get_many(s, i))
        asks = [
            AccessRequest(
                "op-1", (ids[i % n_subjects],), ITEMS, "membership", "문의", "10.0.0.1", START + timedelta(seconds=i)
            )
            for i in range(n_reads)
        ]
        started = time.perf_counter()
        for ask in asks:
            service.read(ask)
        read_rate = n_reads / (time.perf_counter() - started)
        started = time.perf_counter()
        for ask in asks:
            vault.get(ask.subjects[0], ITEMS)
        raw_read_rate = n_reads / (time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(0, n_reads, 100):
            service.read_many(asks[i : i + 100])
        group_rate = n_reads / (time.perf_counter() - started)
        started = time.perf_counter()
        count, broken = service.verify()
        verify_rate = count / (time.perf_counter() - started)
        assert broken is None
        bodies = [r.body for page in access.records() for r in page]
        started = time.perf_counter()
        result = review(access.records_between(START, START + timedelta(days=31)), policy, "2026-10")
        review_rate = result.total / (time.perf_counter() - started)
        store.close()
        log(f"{'warm-up' if run == 0 else f'run {run}'}: gated reads {read_rate:,.0f}/s")
        if run == 0:
            continue
        reads.runs.append(read_rate)
        reads.reference_runs.append(raw_read_rate)
        grouped.runs.append(group_rate)
        verified.runs.append(verify_rate)
        verified.reference_runs.append(_raw_chain(bodies))
        reviewed.runs.append(review_rate)
    return [reads, grouped, verified, reviewed]

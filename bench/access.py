"""Access benchmarks: purpose-checked reads with their access records, record verification, the monthly review.

Figures (rates, higher is better), each timed by the wall clock and, beside it, by this process's CPU time (the
machine is often shared: CPU time is the steadier measure of our own work):

- purpose-checked reads: ``AccessService.read`` of 4 items of one subject, gate (with the subject's suspensions and
  correction holds read in the same transaction) + one access record committed before the data is decrypted;
  reference: ``Vault.get`` of the same 4 items (no gate, no record);
- the same with group commit: ``AccessService.read_many`` of 100 requests per commit;
- record verification from the database (``AccessService.verify``); reference: raw SHA-256 chaining of the same
  bodies;
- the monthly review over the stored records (``AccessService.review``; 10M records in 60 s is 167,000/s);
- on a full run (1M subjects or more), a simulated month of as many records as subjects (or
  ``JIKIMI_BENCH_MONTH_RECORDS``): several hundred operators, refusals, bulk reads, downloads and night work,
  chained and appended 100,000 per commit (the append rate), then reviewed and verified whole, so the 10M-in-60-s
  target is measured at scale rather than extrapolated from the small runs.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TypeVar

from bench.vault import BENCH_POLICY, Figure, record
from jikimi.access import AccessRequest, Decision, SubjectFacts, chain_records
from jikimi.access.review import month_bounds
from jikimi.access.service import AccessService, Operators
from jikimi.adapters.storage import SqlVaultStore
from jikimi.adapters.storage.access_store import SqlAccessStore
from jikimi.clock import FixedClock
from jikimi.policy import Policy, load_policy_text
from jikimi.vault import Argon2Params, LocalKeyring, PasswordHashing, Vault

__all__ = ["run_access_benchmarks"]

ITEMS = ("name", "phone", "email", "address")
START = datetime(2026, 10, 1, 1, tzinfo=UTC)
MONTH = "2026-10"
ROLES = "\nroles:\n  support: {label: 고객상담, purposes: [membership]}\n"
FULL_RUN = 1_000_000  # subjects from which the month-scale review runs
MONTH_ENV = "JIKIMI_BENCH_MONTH_RECORDS"
_STRIDE = 7919  # a prime: i * _STRIDE mod n visits n distinct subjects for any n it does not divide

T = TypeVar("T")


class _AllConsented:
    def facts(self, subjects: Iterable[str]) -> Mapping[str, SubjectFacts]:
        return dict.fromkeys(subjects, SubjectFacts())


def _timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """``fn()``, its wall time and its CPU time (this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


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
    n_subjects = subjects  # stored: the reads are spread over all of them
    n_reads = min(subjects, 10_000)
    reads = Figure(
        "purpose-checked reads, 4 items + 1 access record",
        "reads/s",
        reference_name="Vault.get, same items",
        target=">= 25,000",
    )
    reads_cpu = Figure("  the same, by CPU time", "reads/s")
    grouped = Figure("  the same, 100 reads per commit (read_many)", "reads/s")
    verified = Figure(
        "access record verification (from the database)",
        "records/s",
        reference_name="raw SHA-256 chaining",
        target=">= 500,000",
    )
    verified_cpu = Figure("  the same, by CPU time", "records/s")
    reviewed = Figure("monthly review", "records/s", target=">= 167,000 (10M in 60 s)")
    reviewed_cpu = Figure("  the same, by CPU time", "records/s")
    for run in range(runs + 1):
        store, _url, _schema = open_db()
        vault = Vault(policy, store, LocalKeyring.generate(), passwords=PasswordHashing(Argon2Params.cheap()))
        ids = [f"s-{i:07d}" for i in range(n_subjects)]
        for start in range(0, n_subjects, 100_000):  # bounded memory at 1M and more
            vault.put_many([(ids[i], record(i)) for i in range(start, min(n_subjects, start + 100_000))])
        access = SqlAccessStore(store.engine)
        Operators(policy, access, FixedClock(START)).grant("op-1", "support", actor="bench")
        service = AccessService(policy, access, _AllConsented(), lambda s, i, _p, v=vault: v.get_many(s, i))
        asks = [
            AccessRequest(
                "op-1",
                (ids[(i * _STRIDE) % n_subjects],),  # spread over every stored subject, none twice below n_subjects
                ITEMS,
                "membership",
                "문의",
                "10.0.0.1",
                START + timedelta(seconds=i),
            )
            for i in range(n_reads)
        ]
        rates = _measure(service, vault, access, asks)
        store.close()
        log(
            f"{'warm-up' if run == 0 else f'run {run}'}: gated reads {rates['read']:,.0f}/s "
            f"({rates['read_cpu']:,.0f}/s CPU), verification {rates['verify']:,.0f}/s "
            f"({rates['verify_cpu']:,.0f}/s CPU), review {rates['review']:,.0f}/s ({rates['review_cpu']:,.0f}/s CPU)"
        )
        if run == 0 and runs > 0:
            continue
        for figure, key in (
            (reads, "read"),
            (reads_cpu, "read_cpu"),
            (grouped, "group"),
            (verified, "verify"),
            (verified_cpu, "verify_cpu"),
            (reviewed, "review"),
            (reviewed_cpu, "review_cpu"),
        ):
            figure.runs.append(rates[key])
        reads.reference_runs.append(rates["raw_read"])
        verified.reference_runs.append(rates["raw_chain"])
    figures = [reads, reads_cpu, grouped, verified, verified_cpu, reviewed, reviewed_cpu]
    month_records = int(os.environ.get(MONTH_ENV) or 0) or (subjects if subjects >= FULL_RUN else 0)
    if month_records:
        figures += _month_at_scale(open_db, policy, month_records, runs, log)
    return figures


def _measure(
    service: AccessService, vault: Vault, access: SqlAccessStore, asks: list[AccessRequest]
) -> dict[str, float]:
    """One run's rates: reads one commit each, the vault alone, grouped reads, verification, review."""
    n = len(asks)
    _, read_wall, read_cpu = _timed(lambda: [service.read(ask) for ask in asks])
    _, raw_wall, _ = _timed(lambda: [vault.get(ask.subjects[0], ITEMS) for ask in asks])
    _, group_wall, _ = _timed(lambda: [service.read_many(asks[i : i + 100]) for i in range(0, n, 100)])
    (count, broken), verify_wall, verify_cpu = _timed(service.verify)
    assert broken is None
    bodies = [r.body for page in access.records() for r in page]
    result, review_wall, review_cpu = _timed(lambda: service.review(MONTH))
    assert result.total == count
    return {
        "read": n / read_wall,
        "read_cpu": n / read_cpu,
        "raw_read": n / raw_wall,
        "group": n / group_wall,
        "verify": count / verify_wall,
        "verify_cpu": count / verify_cpu,
        "raw_chain": _raw_chain(bodies),
        "review": count / review_wall,
        "review_cpu": count / review_cpu,
    }


def _month_at_scale(
    open_db: Callable[[], tuple[SqlVaultStore, str, str | None]],
    policy: Policy,
    n: int,
    runs: int,
    log: Callable[[str], None],
) -> list[Figure]:
    """Review and verify a stored month of ``n`` records, ``runs`` times each (no warm-up: the month is one load)."""
    seconds = Figure(
        f"monthly review of {n:,} records (one simulated month)",
        "s",
        lower_is_better=True,
        target=f"<= {60 * n / 10_000_000:,.1f} s (10M in 60 s)",
    )
    seconds_cpu = Figure("  the same, by CPU time", "s", lower_is_better=True)
    verified = Figure(f"verification of the same {n:,} records", "records/s", target=">= 500,000")
    verified_cpu = Figure("  the same, by CPU time", "records/s")
    appended = Figure(
        "access record appends (chained and stored, 100,000 per commit)",
        "records/s",
        reference_name="raw SHA-256 chaining",
    )
    appended_cpu = Figure("  the same, by CPU time", "records/s")
    store, _url, _schema = open_db()
    access = SqlAccessStore(store.engine)
    load_wall, load_cpu = _load_month(access, n)
    log(f"month at scale: {n:,} records chained and stored in {load_wall:,.1f} s ({load_cpu:,.1f} s CPU)")
    appended.runs.append(n / load_wall)
    appended_cpu.runs.append(n / load_cpu)
    bodies = islice((r.body for page in access.records() for r in page), 1_000_000)  # bounded memory at 10M
    appended.reference_runs.append(_raw_chain(list(bodies)))
    service = AccessService(policy, access, _AllConsented(), lambda s, i, p: {})
    for run in range(1, max(runs, 1) + 1):
        result, review_wall, review_cpu = _timed(lambda: service.review(MONTH))
        assert result.total == n, (result.total, n)
        (count, broken), verify_wall, verify_cpu = _timed(service.verify)
        assert (count, broken) == (n, None)
        log(
            f"month run {run}: review {review_wall:,.1f} s ({review_cpu:,.1f} s CPU, {n / review_wall:,.0f} "
            f"records/s), {len(result.findings)} findings; verification {n / verify_wall:,.0f}/s "
            f"({n / verify_cpu:,.0f}/s CPU)"
        )
        seconds.runs.append(review_wall)
        seconds_cpu.runs.append(review_cpu)
        verified.runs.append(n / verify_wall)
        verified_cpu.runs.append(n / verify_cpu)
    store.close()
    return [appended, appended_cpu, seconds, seconds_cpu, verified, verified_cpu]


def _load_month(access: SqlAccessStore, n: int, batch: int = 100_000) -> tuple[float, float]:
    """``n`` records spread evenly over October 2026 (KST), day and night: 300 operators; mostly single reads,
    about 2 % refused, 0.1 % downloads with a reason, and a bulk read of 150 subjects with a reason now and then.
    The seconds (wall, CPU) spent chaining and appending them, not simulating the requests."""
    spent = [0.0, 0.0]
    rng = random.Random(2026)
    start, end = month_bounds(MONTH)
    step = (end - start) / n
    refused = Decision(False, "R-SEC-2", "role may not serve purpose")
    allowed = Decision(True)
    tasks = ("문의 응대", "주문 확인", "배송 조회", "환불 처리")
    head: tuple[int, bytes] | None = None
    made = 0
    while made < n:
        pairs: list[tuple[AccessRequest, Decision]] = []
        size = min(batch, n - made)
        while size > 0:
            at = start + step * made
            operator = f"op-{rng.randrange(300):03d}"
            roll = rng.random()
            if roll < 0.0005 and size >= 150:
                subjects = tuple(f"s-{rng.randrange(1_000_000):07d}" for _ in range(150))
                request = AccessRequest(
                    operator, subjects, ITEMS[:2], "membership", "일괄 점검", "10.0.0.2", at, "정기 점검"
                )
                decision = allowed
            else:
                subject = (f"s-{rng.randrange(1_000_000):07d}",)
                items = ITEMS if roll < 0.5 else ITEMS[:2]
                request = AccessRequest(
                    operator, subject, items, "membership", tasks[int(roll * 100) % 4], "10.0.0.1", at
                )
                decision = refused if roll > 0.98 else allowed
                if 0.97 < roll <= 0.971:
                    request = AccessRequest(
                        operator, subject, items, "membership", "자료 제출", "10.0.0.1", at, "민원 회신", download=True
                    )
            pairs.append((request, decision))
            size -= len(request.subjects)
            made += len(request.subjects)
        began, cpu = time.perf_counter(), time.process_time()
        records = chain_records(pairs, head)
        head = records[-1].seq, records[-1].hash
        with access.transaction() as session:
            session.append(records)
        spent[0] += time.perf_counter() - began
        spent[1] += time.process_time() - cpu
    return spent[0], spent[1]

"""Collection and consent: sign-up through the policy's channels, a tamper-evident consent ledger, and children.

Flow of a collection::

    Engine.collect(channel, subject_type, data, consents, method, evidence)
      -> collection.plan_collection   pure rules: items, consents, R-CON-4/5/6, children (children.check_child)
      -> one unit of work (ports.UnitOfWork): vault.put -> duplicate check (blind index) -> subject record
         -> ledger events, chained by ledger.chain (SHA-256)
      -> state.ConsentBook            the subject's consent state, cached in memory

Separate consents (R-CON-1) are *topics* (:mod:`.model`): consent purposes, advertising channels, unique
identifiers and sensitive data, each third-party recipient (``provide:<name>``) and each overseas transfer
(``transfer:<recipient> (<country>)``). A policy change that widens a consent makes older grants stale until the
subject consents again (:mod:`.reconsent`, built on ``documents.versions.diff_policies``). A child may wait for the
representative's consent with only the representative's items kept, until the wait expires (:mod:`.service`).

Outcomes: :class:`~jikimi.consent.service.Collected` (subject id, ``active`` or ``pending`` review, events);
:class:`~jikimi.errors.CollectionError` / :class:`~jikimi.errors.ChildrenError` (a rule id in the message),
:class:`~jikimi.errors.DuplicateSubjectError`, or a vault value error: nothing written. Withdrawal, approval,
``may_use`` and ledger verification are methods of :class:`~jikimi.consent.service.Consents`; receipts come from
:mod:`.ledger`. This package never imports SQLAlchemy: the SQL ledger is an adapter.
"""

from jikimi.consent.collection import CollectionPlan, plan_collection
from jikimi.consent.ledger import Break, Verification, receipt, receipt_text, verify
from jikimi.consent.model import (
    SENSITIVE,
    UNIQUE_IDENTIFIERS,
    ConsentEvent,
    EventKind,
    Representative,
    SubjectRecord,
    SubjectStatus,
    provide_topic,
    transfer_topic,
)
from jikimi.consent.ports import ConsentSession, ConsentStore, UnitOfWork
from jikimi.consent.reconsent import PolicyChange, widened_topics
from jikimi.consent.service import Collected, Consents, Withdrawn
from jikimi.consent.state import ConsentBook, SubjectState

__all__ = [
    "SENSITIVE",
    "UNIQUE_IDENTIFIERS",
    "Break",
    "Collected",
    "CollectionPlan",
    "ConsentBook",
    "ConsentEvent",
    "ConsentSession",
    "ConsentStore",
    "Consents",
    "EventKind",
    "PolicyChange",
    "Representative",
    "SubjectRecord",
    "SubjectState",
    "SubjectStatus",
    "UnitOfWork",
    "Verification",
    "Withdrawn",
    "plan_collection",
    "provide_topic",
    "receipt",
    "receipt_text",
    "transfer_topic",
    "verify",
    "widened_topics",
]

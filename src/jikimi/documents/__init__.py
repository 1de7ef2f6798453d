"""The published 개인정보 처리방침: render it from the policy, compare versions, and date the notices.

Flow: ``Policy`` -> :func:`build_document` (the wording, :mod:`.content` and :mod:`.wording`) -> :func:`render_policy`
writes HTML or Markdown (:mod:`.render`). :func:`diff_policies` (:mod:`.versions`) compares two versions section by
section, classifies the change as minor or material and dates its notice (R-POL-4). The other way round,
:func:`extract_facts` reads the facts of an existing policy text and :func:`import_policy` drafts a policy YAML from
it (:mod:`.importer`); :func:`policy_facts` gives the same facts for a policy file (the round trip).
"""

from jikimi.documents.content import VersionEntry, build_document
from jikimi.documents.document import Document, Section
from jikimi.documents.facts import Facts, policy_facts
from jikimi.documents.importer import extract_facts, import_policy
from jikimi.documents.render import render_document, render_policy
from jikimi.documents.versions import Change, PolicyDiff, diff_policies, version_history

__all__ = [
    "Change",
    "Document",
    "Facts",
    "PolicyDiff",
    "Section",
    "VersionEntry",
    "build_document",
    "diff_policies",
    "extract_facts",
    "import_policy",
    "policy_facts",
    "render_document",
    "render_policy",
    "version_history",
]

"""Consent proof: an index on the subjects' status and last change, so the sweep finds the subjects whose proof of
consent has reached its end (jikimi.retention.proof) without scanning every live subject.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_consent_subjects_status_updated_at", "consent_subjects", ["status", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_consent_subjects_status_updated_at", "consent_subjects")

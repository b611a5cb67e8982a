"""the PEP as a document: each section of a PEP as its owner saved it (config/pep.toml), its PDF, the documents uploaded to it and DTs' delegations

Revision ID: 0016_pep_sections
Revises: 0015_password_links
Create Date: 2026-12-06 14:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pepflow.db.types import UTCDateTime

revision = "0016_pep_sections"
down_revision = "0015_password_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pep_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pep_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(), nullable=False),
        sa.Column("saved_at", UTCDateTime(), nullable=False),
        sa.Column("qa_grade", sa.String(), nullable=False),
        sa.Column("qa_comment", sa.String(), nullable=False),
        sa.Column("returned_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pep_id"], ["pep.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pep_id", "section", name="uq_pep_section"),
    )
    op.create_index("ix_pep_section_pep_id", "pep_section", ["pep_id"])
    op.create_table(
        "pep_pdf",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pep_id", sa.Integer(), nullable=False),
        sa.Column("made_at", UTCDateTime(), nullable=False),
        sa.Column("document_sha256", sa.String(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["pep_id"], ["pep.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pep_id"),
    )
    op.create_table(
        "pep_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pep_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("content_type", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pep_id"], ["pep.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pep_attachment_pep_id", "pep_attachment", ["pep_id"])
    op.create_table(
        "pep_delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_account_id", sa.Integer(), nullable=False),
        sa.Column("to_account_id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["from_account_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["to_account_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pep_delegation_to_account_id", "pep_delegation", ["to_account_id"])


def downgrade() -> None:
    op.drop_index("ix_pep_delegation_to_account_id", table_name="pep_delegation")
    op.drop_table("pep_delegation")
    op.drop_index("ix_pep_attachment_pep_id", table_name="pep_attachment")
    op.drop_table("pep_attachment")
    op.drop_table("pep_pdf")
    op.drop_index("ix_pep_section_pep_id", table_name="pep_section")
    op.drop_table("pep_section")

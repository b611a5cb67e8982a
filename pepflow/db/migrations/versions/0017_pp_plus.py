"""Pupil Premium Plus as money (issue 40): lines asked for against PEP targets, the payments approved
lines become and the batches finance pays; the old whole-pound requests become lines

Revision ID: 0017_pp_plus
Revises: 0016_pep_sections
Create Date: 2026-12-06 15:50:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0017_pp_plus"
down_revision = "0016_pep_sections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pp_plus_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("pep_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("target_number", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("what", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("how_often", sa.String(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("rate_pence", sa.Integer(), nullable=True),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("exit_plan", sa.String(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("term_starts_on", sa.Date(), nullable=False),
        sa.Column("financial_year", sa.String(), nullable=False),
        sa.Column("pot", sa.String(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("for_vsh", sa.Boolean(), nullable=False),
        sa.Column("vsh_reason", sa.String(), nullable=False),
        sa.Column("requested_by", sa.String(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("answer", sa.String(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.String(), nullable=False),
        sa.Column("approved_pence", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.ForeignKeyConstraint(["pep_id"], ["pep.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_pp_plus_line_child_ref", "pp_plus_line", ["child_ref"])
    op.create_index("ix_pp_plus_line_pep_id", "pp_plus_line", ["pep_id"])
    op.create_index("ix_pp_plus_line_status", "pp_plus_line", ["status", "requested_on"])
    op.create_index("ix_pp_plus_line_year", "pp_plus_line", ["financial_year", "status"])
    op.create_table(
        "pp_plus_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("made_by", sa.String(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("total_pence", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("finance_ref", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pp_plus_payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=True),
        sa.Column("payee", sa.String(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("financial_year", sa.String(), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["pp_plus_line.id"]),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.ForeignKeyConstraint(["batch_id"], ["pp_plus_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("line_id", name="uq_pp_plus_payment_line"),
    )
    op.create_index("ix_pp_plus_payment_child_ref", "pp_plus_payment", ["child_ref"])
    op.create_index("ix_pp_plus_payment_batch_id", "pp_plus_payment", ["batch_id"])
    op.create_index("ix_pp_plus_payment_term", "pp_plus_payment", ["term", "status"])
    if sa.inspect(op.get_bind()).has_table("pp_plus_request"):  # a database adopted from before migrations may lack it
        _move_old_requests()
        with op.batch_alter_table("pp_plus_request", schema=None) as batch_op:
            batch_op.drop_index("ix_pp_plus_request_child_ref")
            batch_op.drop_index("ix_pp_plus_request_pep_id")
        op.drop_table("pp_plus_request")


def _financial_year(day: dt.date) -> str:
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _move_old_requests() -> None:
    """Each whole-pound request becomes a line (category "other"); an approved one a payment due to
    the child's school, so nothing asked for or granted before the upgrade is lost."""
    bind = op.get_bind()
    old = bind.execute(sa.text(
        "SELECT r.id, r.child_ref, r.pep_id, r.term, r.amount, r.purpose, r.requested_on, r.status, r.decided_on, "
        "r.decision_note, c.school_urn FROM pp_plus_request r JOIN child c ON c.ref = r.child_ref ORDER BY r.id")).all()
    for (_, child_ref, pep_id, term, amount, purpose, requested_on, status, decided_on, note, urn) in old:
        requested_on = requested_on if isinstance(requested_on, dt.date) else dt.date.fromisoformat(str(requested_on))
        if decided_on is not None and not isinstance(decided_on, dt.date):
            decided_on = dt.date.fromisoformat(str(decided_on))
        year = _financial_year(requested_on)
        new_status = {"approved": "approved", "declined": "rejected"}.get(status, "waiting")
        pence = int(amount) * 100
        line_id = bind.execute(sa.text(
            "INSERT INTO pp_plus_line (child_ref, pep_id, kind, target_number, target, category, what, provider, "
            "how_often, amount_pence, exit_plan, term, term_starts_on, financial_year, pot, school_urn, status, "
            "for_vsh, vsh_reason, requested_by, requested_on, question, answer, decided_by, decided_on, "
            "decision_reason, approved_pence, outcome) VALUES (:child, :pep, 'request', 0, '', 'other', :what, '', "
            "'', :pence, '', :term, :requested_on, :year, 'school_age', :urn, :status, :false, '', '', "
            ":requested_on, '', '', '', :decided_on, :note, :approved, '') RETURNING id"),
            dict(child=child_ref, pep=pep_id, what=purpose, pence=pence, term=term, requested_on=requested_on,
                 year=year, urn=urn, status=new_status, false=False, decided_on=decided_on, note=note or "",
                 approved=pence if new_status == "approved" else 0)).scalar_one()
        if new_status == "approved":
            bind.execute(sa.text(
                "INSERT INTO pp_plus_payment (line_id, child_ref, school_urn, payee, term, financial_year, "
                "amount_pence, status, created_on) VALUES (:line, :child, :urn, '', :term, :year, :pence, 'due', "
                ":on)"), dict(line=line_id, child=child_ref, urn=urn, term=term, year=year, pence=pence,
                              on=decided_on or requested_on))


def downgrade() -> None:
    op.create_table(
        "pp_plus_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("pep_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.ForeignKeyConstraint(["pep_id"], ["pep.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pp_plus_request", schema=None) as batch_op:
        batch_op.create_index("ix_pp_plus_request_child_ref", ["child_ref"], unique=False)
        batch_op.create_index("ix_pp_plus_request_pep_id", ["pep_id"], unique=False)
    op.drop_table("pp_plus_payment")
    op.drop_table("pp_plus_batch")
    op.drop_table("pp_plus_line")

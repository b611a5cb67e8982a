"""admissions' findings and decisions, and emergency care moves, as rows (the state they
were read back out of the history for), filled from the history

Revision ID: 0012_admission_findings
Revises: 0011_held_back_children
Create Date: 2026-12-06 11:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012_admission_findings"
down_revision = "0011_held_back_children"
branch_labels = None
depends_on = None

# as rules/placement.py named them when this revision was written: a revision keeps its own copy
DECISION_SETTINGS = ("exceptional_reason", "vsh_decision", "ks4_reason", "nominated_officer")
FLAG_OF_LEVEL = {"needs_approval": "placement_approval", "notify": "notify_destination_vs"}


def upgrade() -> None:
    with op.batch_alter_table("care_placement") as batch:
        batch.add_column(sa.Column("emergency", sa.Boolean(), nullable=False, server_default=sa.false()))
    finding = op.create_table(
        "admission_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["admission_id"], ["admission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admission_finding_admission_id", "admission_finding", ["admission_id"])
    decision = op.create_table(
        "admission_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admission_id", sa.Integer(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=False),
        sa.Column("setting", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["admission_id"], ["admission.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("admission_id", "school_urn", "setting"),
    )
    op.create_index("ix_admission_decision_admission_id", "admission_decision", ["admission_id"])
    connection = op.get_bind()
    _emergency_moves(connection)
    _findings_and_decisions(connection, finding, decision)


def _emergency_moves(connection: sa.Connection) -> None:
    """Each emergency move the history records marks the care placement that move began."""
    event = sa.table("event", sa.column("name"), sa.column("child_ref"), sa.column("effective_on", sa.Date),
                     sa.column("payload", sa.JSON), sa.column("id"))
    placement = sa.table("care_placement", sa.column("id"), sa.column("child_ref"), sa.column("start", sa.Date),
                         sa.column("emergency", sa.Boolean))
    moves = connection.execute(sa.select(event.c.child_ref, event.c.effective_on, event.c.payload)
                               .where(event.c.name == "care_placement_changed").order_by(event.c.id))
    for child_ref, on, payload in moves:
        if not (payload or {}).get("emergency"):
            continue
        first = connection.execute(sa.select(sa.func.min(placement.c.id)).where(
            placement.c.child_ref == child_ref, placement.c.start == on, placement.c.emergency.is_(False))).scalar()
        if first is not None:
            connection.execute(placement.update().where(placement.c.id == first).values(emergency=True))


def _findings_and_decisions(connection: sa.Connection, finding: sa.Table, decision: sa.Table) -> None:
    """Each admission's latest proposal, as the history recorded it: its findings (each message
    as its flag said it) and the decisions that stand for the school it proposed."""
    event = sa.table("event", sa.column("id"), sa.column("name"), sa.column("process"), sa.column("process_id"),
                     sa.column("effective_on", sa.Date), sa.column("payload", sa.JSON))
    admission = sa.table("admission", sa.column("id"), sa.column("child_ref"), sa.column("school_urn"))
    deadline = sa.table("deadline", sa.column("id"), sa.column("child_ref"), sa.column("kind"),
                        sa.column("opened_on", sa.Date), sa.column("note"))
    latest = (sa.select(event.c.process_id, sa.func.max(event.c.id).label("id"))
              .where(event.c.name == "school_proposed", event.c.process == "admission")
              .group_by(event.c.process_id).subquery())
    rows = connection.execute(
        sa.select(admission.c.id, admission.c.child_ref, admission.c.school_urn, event.c.effective_on,
                  event.c.payload)
        .join(latest, latest.c.process_id == admission.c.id).join(event, event.c.id == latest.c.id)).all()
    findings: list[dict[str, Any]] = []
    decisions: list[dict[str, Any]] = []
    for admission_id, child_ref, urn, on, payload in rows:
        payload = payload or {}
        if not urn or payload.get("school_urn") != urn:
            continue
        decisions += [{"admission_id": admission_id, "school_urn": urn, "setting": setting,
                       "value": str(payload[setting]), "recorded_on": on}
                      for setting in DECISION_SETTINGS if payload.get(setting)]
        notes = [note for (note,) in connection.execute(
            sa.select(deadline.c.note).where(deadline.c.child_ref == child_ref, deadline.c.opened_on == on,
                                             deadline.c.kind.in_(tuple(FLAG_OF_LEVEL.values())))
            .order_by(deadline.c.id))]
        for found in payload.get("findings", []):
            suffix = f" [{found.get('source', '')}]"
            message = next((n[:-len(suffix)] for n in notes if n.endswith(suffix)), found["rule"].replace("_", " "))
            if message in [n[:-len(suffix)] for n in notes if n.endswith(suffix)]:
                notes.remove(message + suffix)
            findings.append({"admission_id": admission_id, "school_urn": urn, "rule": found["rule"],
                             "level": found["level"], "message": message, "source": found.get("source", ""),
                             "found_on": on})
    if findings:
        connection.execute(finding.insert(), findings)
    if decisions:
        connection.execute(decision.insert(), decisions)


def downgrade() -> None:
    op.drop_index("ix_admission_decision_admission_id", table_name="admission_decision")
    op.drop_table("admission_decision")
    op.drop_index("ix_admission_finding_admission_id", table_name="admission_finding")
    op.drop_table("admission_finding")
    with op.batch_alter_table("care_placement") as batch:
        batch.drop_column("emergency")

"""names kept as typed: compare keys, old values of change requests, invitation mails

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01 10:00:00

Existing rows keep their stored names (names typed before this revision were stored NFKC-normalised, so
"（北京）" may read "(北京)"): nothing is rewritten. The keys are computed from the stored names, and a
unit corrects its name through 修改资料 (a change request the secretariat approves).
"""
import logging
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
LIVE = sa.text("status <> 'rejected'")


def _key(value):
    """validators.name_key as of this revision (frozen here: a migration must not change with the app)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).casefold()


def _unit_keys(conn):
    unit = sa.table("unit", sa.column("id", sa.Integer), sa.column("name", sa.String),
                    sa.column("status", sa.String), sa.column("name_key", sa.String))
    seen = {}
    rows = conn.execute(sa.select(unit.c.id, unit.c.name, unit.c.status).order_by(unit.c.id)).all()
    for unit_id, name, status in rows:
        key = _key(name)
        if status != "rejected":
            if key in seen:
                # Two live units whose names differ only in width, case or spacing were allowed before;
                # both stay, the later one's key is made distinct, and the operator is told.
                log.warning("unit %s (%s) has the same name key as unit %s; kept apart as %s#%s",
                            unit_id, name, seen[key], key, unit_id)
                key = f"{key}#{unit_id}"
            else:
                seen[key] = unit_id
        conn.execute(unit.update().where(unit.c.id == unit_id).values(name_key=key))


def _invitation_keys(conn):
    invitation = sa.table("invitation", sa.column("id", sa.Integer), sa.column("enterprise_name", sa.String),
                          sa.column("enterprise_key", sa.String))
    for inv_id, name in conn.execute(sa.select(invitation.c.id, invitation.c.enterprise_name)).all():
        conn.execute(invitation.update().where(invitation.c.id == inv_id).values(enterprise_key=_key(name)))


def _old_values(conn):
    """Pending requests: the unit's current values. Decided ones: the 原值 their approval logged, if any."""
    conn.execute(sa.text(
        "UPDATE unit_change_request"
        " SET old_name = (SELECT name FROM unit WHERE unit.id = unit_change_request.unit_id),"
        " old_credit_code = (SELECT credit_code FROM unit WHERE unit.id = unit_change_request.unit_id)"
        " WHERE status = 'pending'"))
    for field, new_column, old_column in (("name", "new_name", "old_name"),
                                          ("credit_code", "new_credit_code", "old_credit_code")):
        conn.execute(sa.text(
            f"UPDATE unit_change_request SET {old_column} = (SELECT ucl.old_value FROM unit_change_log ucl"
            f" WHERE ucl.unit_id = unit_change_request.unit_id AND ucl.field = '{field}'"
            f" AND ucl.new_value = unit_change_request.{new_column} ORDER BY ucl.id DESC LIMIT 1)"
            f" WHERE status = 'approved' AND {new_column} IS NOT NULL"))


def upgrade():
    conn = op.get_bind()
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(length=200), nullable=True))
    _unit_keys(conn)
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_index("uq_unit_live_name", sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index("uq_unit_live_name_key", ["name_key"], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enterprise_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("group_mail_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team_mail_id", sa.Integer(), nullable=True))
    _invitation_keys(conn)
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.alter_column("enterprise_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_index("ix_invitation_unit_enterprise_key", ["unit_id", "enterprise_key"],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_invitation_group_mail_id_outbox_mail"), "outbox_mail",
                                    ["group_mail_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_invitation_team_mail_id_outbox_mail"), "outbox_mail",
                                    ["team_mail_id"], ["id"], ondelete="SET NULL")

    with op.batch_alter_table("unit_change_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("old_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("old_credit_code", sa.String(length=18), nullable=True))
    _old_values(conn)


def downgrade():
    with op.batch_alter_table("unit_change_request", schema=None) as batch_op:
        batch_op.drop_column("old_credit_code")
        batch_op.drop_column("old_name")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_invitation_team_mail_id_outbox_mail"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_invitation_group_mail_id_outbox_mail"), type_="foreignkey")
        batch_op.drop_index("ix_invitation_unit_enterprise_key")
        batch_op.drop_column("team_mail_id")
        batch_op.drop_column("group_mail_id")
        batch_op.drop_column("enterprise_key")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index("uq_unit_live_name_key", sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index("uq_unit_live_name", ["name"], unique=True,
                              sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.drop_column("name_key")

"""ids never reused (SQLite AUTOINCREMENT) and an append-only audit log (PostgreSQL trigger)

SQLite hands a deleted row's id to the next row unless the table is declared AUTOINCREMENT, so an audit entry
(target_id) or a bookmarked link could come to name an unrelated record. Every table whose key is an integer
`id` is rebuilt with AUTOINCREMENT (batch mode copies the rows, env.py turns foreign keys off meanwhile);
sqlite_sequence starts from each table's largest id. PostgreSQL sequences never reuse a value: no change
there.

On PostgreSQL a trigger refuses UPDATE and DELETE on audit_log, except the actor_id → NULL that deleting an
account makes (ON DELETE SET NULL); see app.core.models.install_audit_guard.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 07:00:00

"""
import sqlalchemy as sa
from alembic import op

from app.core.models import AUDIT_UNGUARD_DDL, install_audit_guard

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _id_tables(bind, want):
    """Tables keyed by an integer `id` (not a foreign key) whose AUTOINCREMENT is not yet `want`."""
    inspector = sa.inspect(bind)
    found = []
    for name in inspector.get_table_names():
        if name == "alembic_version":
            continue
        key = inspector.get_pk_constraint(name)["constrained_columns"]
        if key != ["id"]:
            continue
        column = next(c for c in inspector.get_columns(name) if c["name"] == "id")
        if not isinstance(column["type"], sa.Integer):
            continue
        if any("id" in fk["constrained_columns"] for fk in inspector.get_foreign_keys(name)):
            continue
        sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                   (name,)).scalar()
        if ("AUTOINCREMENT" in sql.upper()) != want:
            found.append(name)
    return found


def _rebuild(bind, autoincrement):
    for name in _id_tables(bind, autoincrement):
        options = {"sqlite_autoincrement": autoincrement}
        with op.batch_alter_table(name, recreate="always", table_kwargs=options):
            pass


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild(bind, True)
    install_audit_guard(bind)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild(bind, False)
    else:
        for statement in AUDIT_UNGUARD_DDL:
            bind.exec_driver_sql(statement)

"""Ids are never handed out twice (SQLite AUTOINCREMENT, PostgreSQL sequences), and on PostgreSQL the database
itself refuses to change or delete audit rows, except clearing actor_id when an account is deleted."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core import outbox
from app.core.extensions import db
from app.models import AuditLog, OutboxMail, QcGroupFiling, User
from tests.conftest import POSTGRESQL_ONLY


def _backend(app):
    return "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"


def test_the_id_of_a_deleted_row_is_never_given_again(app, make):
    unit = make.unit()
    first, last = make.group(unit), make.group(unit)
    with app.app_context():
        mails = [outbox.queue_mail(f"x{i}@example.com", "主题", "正文") for i in range(3)]
        db.session.commit()
        highest_mail = mails[-1].id
        db.session.delete(db.session.get(OutboxMail, highest_mail))
        db.session.delete(db.session.get(QcGroupFiling, last.id))
        db.session.commit()
        again = outbox.queue_mail("y@example.com", "主题", "正文")
        db.session.commit()
        assert again.id > highest_mail
        with db.engine.begin() as conn:  # raw SQL takes the next id too, not the freed one
            conn.execute(text("INSERT INTO outbox_mail (recipient, subject, body, status, attempts,"
                              " next_attempt_at, created_at) VALUES ('z@example.com', 's', 'b', 'pending', 0,"
                              " '2027-01-01', '2027-01-01')"))
            assert conn.execute(text("SELECT max(id) FROM outbox_mail")).scalar() == again.id + 1
    replacement = make.group(unit)
    assert replacement.id > last.id > first.id


def test_every_table_keyed_by_an_integer_id_is_autoincrement_on_sqlite(app):
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.autoincrement_column is not None:
                assert table.dialect_options["sqlite"]["autoincrement"], table.name
        if _backend(app) == "sqlite":
            with db.engine.connect() as conn:
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'audit_log'")).scalar()
            assert "AUTOINCREMENT" in sql


def _entry(app, actor_id=None):
    with app.app_context():
        entry = AuditLog(action="unit.approve", summary="审核通过：扬子石化", actor_id=actor_id, actor_name="丁士育")
        db.session.add(entry)
        db.session.commit()
        return entry.id


def _raw(app, statement, **params):
    with app.app_context():
        with db.engine.begin() as conn:
            return conn.execute(text(statement), params).rowcount


ATTACKS = [
    "UPDATE audit_log SET summary = '改过的'",
    "UPDATE audit_log SET actor_name = '别人', actor_id = NULL",
    "UPDATE audit_log SET actor_id = :other",
    "UPDATE audit_log SET created_at = created_at",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE id = :entry",
]


@pytest.mark.parametrize("app", POSTGRESQL_ONLY, indirect=True)  # SQLite has the ORM guard only
@pytest.mark.parametrize("statement", ATTACKS)
def test_the_database_refuses_to_change_or_delete_audit_rows(app, make, statement):
    clerk, other = make.secretariat(), make.secretariat()
    entry = _entry(app, actor_id=clerk.id)
    with pytest.raises(DBAPIError) as refused:
        _raw(app, statement, other=other.id, entry=entry)
    assert "操作日志只能追加" in str(refused.value)
    with app.app_context():
        row = db.session.get(AuditLog, entry)
        assert (row.summary, row.actor_id, row.actor_name) == ("审核通过：扬子石化", clerk.id, "丁士育")


def test_clearing_the_actor_of_a_deleted_account_is_allowed(app, make):
    clerk, gone = make.secretariat(), make.secretariat()
    kept, cleared = _entry(app, actor_id=clerk.id), _entry(app, actor_id=gone.id)
    assert _raw(app, "UPDATE audit_log SET actor_id = NULL WHERE id = :id", id=kept) == 1
    with app.app_context():
        db.session.delete(db.session.get(User, gone.id))  # ON DELETE SET NULL through the trigger
        db.session.commit()
        rows = {row.id: (row.actor_id, row.actor_name, row.summary)
                for row in db.session.scalars(db.select(AuditLog))}
    assert rows == {kept: (None, "丁士育", "审核通过：扬子石化"), cleared: (None, "丁士育", "审核通过：扬子石化")}


def test_appending_still_works_with_the_guard(app, make):
    _entry(app)
    assert _raw(app, "INSERT INTO audit_log (created_at, actor_name, action, summary) "
                     "VALUES ('2027-01-01', 'x', 'a', 'b')") == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditLog)) == 2

"""`flask db upgrade` on an empty database produces exactly the models' schema: what compare_metadata sees,
and what it does not (CHECK constraints, ON DELETE actions, SQLite AUTOINCREMENT, the audit log's trigger)."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.core.extensions import db


@pytest.fixture
def empty_database_url(app, tmp_path):
    """An empty database on the same backend as the app."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    base = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    name = f"migtest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_models(empty_database_url, tmp_path):
    migrated = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url, SECRET_KEY="x",
                          UPLOAD_DIR=str(tmp_path / "up"))
    with migrated.app_context():
        upgrade(directory=os.path.join(os.path.dirname(__file__), "..", "..", "migrations"))
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            migrated_schema = schema_details(conn)
            guarded = audit_guard_installed(conn)
        tables = set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"unit", "qc_group_filing", "team_filing", "invitation", "outbox_mail"} <= tables
    assert guarded == (not empty_database_url.startswith("sqlite"))
    created = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url, SECRET_KEY="x",
                         UPLOAD_DIR=str(tmp_path / "up"))
    with created.app_context():  # the same database emptied and made from the models instead
        _drop_everything(db.engine)
        db.create_all()
        with db.engine.connect() as conn:
            created_schema = schema_details(conn)
        db.engine.dispose()
    differing = {name: (migrated_schema.get(name), created_schema.get(name))
                 for name in set(migrated_schema) | set(created_schema)
                 if migrated_schema.get(name) != created_schema.get(name)}
    assert differing == {}


def _drop_everything(engine):
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"
                                      " AND name NOT LIKE 'sqlite_%'")).scalars().all()
            for name in names:
                conn.execute(text(f'DROP TABLE "{name}"'))
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def schema_details(conn):
    """Per table: CHECK constraints, foreign keys with their ON DELETE, and (SQLite) AUTOINCREMENT."""
    inspector = inspect(conn)
    details = {}
    for name in inspector.get_table_names():
        if name == "alembic_version":
            continue
        details[name] = {
            "checks": sorted((c["name"], " ".join(c["sqltext"].split()))
                             for c in inspector.get_check_constraints(name)),
            "foreign_keys": sorted((tuple(fk["constrained_columns"]), fk["referred_table"],
                                    (fk.get("options") or {}).get("ondelete"))
                                   for fk in inspector.get_foreign_keys(name)),
        }
        if conn.dialect.name == "sqlite":
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
                               {"name": name}).scalar()
            details[name]["autoincrement"] = "AUTOINCREMENT" in sql.upper()
    return details


def audit_guard_installed(conn):
    """True when audit_log has the append-only trigger (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgname = 'audit_log_append_only'"
                             " AND NOT tgisinternal")).scalar() == 1

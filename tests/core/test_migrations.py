"""`flask db upgrade` on an empty database produces exactly the models' schema."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
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
        tables = set(db.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"unit", "qc_group_filing", "team_filing", "invitation", "outbox_mail"} <= tables

"""Revision 0008 on a database that already holds rows: every row and link kept, freed ids never handed out
again (SQLite tables rebuilt with AUTOINCREMENT), the audit log guarded on PostgreSQL; and back down again."""
import os

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.commands import load_reference_data
from app.core.extensions import db
from app.models import AuditLog, QcGroupFiling
from tests.core.test_migrations import audit_guard_installed, empty_database_url, schema_details  # noqa: F401
from tests.factories import Factory

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")
BEFORE = "0008-1"  # the revision before 0008, whatever it is


def _state(conn):
    return {
        "filings": conn.execute(text("SELECT id, unit_id, reg_no FROM qc_group_filing ORDER BY id")).all(),
        "units": conn.execute(text("SELECT id, user_id, name FROM unit ORDER BY id")).all(),
        "audit": conn.execute(text("SELECT id, actor_id, summary FROM audit_log ORDER BY id")).all(),
    }


def test_existing_rows_survive_and_freed_ids_stay_freed(empty_database_url, tmp_path):  # noqa: F811
    migrated = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url, SECRET_KEY="x",
                          UPLOAD_DIR=str(tmp_path / "up"))
    sqlite = empty_database_url.startswith("sqlite")
    make = Factory(migrated)
    with migrated.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        load_reference_data()
        unit = make.unit()
        clerk = make.secretariat()
        groups = [make.group(unit, group_name=f"迁移QC小组{i}") for i in range(3)]
        db.session.add_all([AuditLog(action="x", summary=f"记录{i}", actor_id=clerk.id, actor_name="丁士育")
                            for i in range(3)])
        db.session.commit()
        with db.engine.connect() as conn:
            before = _state(conn)
            assert schema_details(conn)["qc_group_filing"].get("autoincrement") in (False, None)
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            assert _state(conn) == before  # no row lost, no foreign key cleared or cascaded
            details = schema_details(conn)
            assert audit_guard_installed(conn) == (not sqlite)
        if sqlite:
            assert details["qc_group_filing"]["autoincrement"] and details["audit_log"]["autoincrement"]
            assert not details["province"]["autoincrement"]  # keyed by its code: nothing to number
        db.session.delete(db.session.get(QcGroupFiling, groups[-1].id))
        db.session.commit()
        replacement = make.group(unit, group_name="新的QC小组")
        assert replacement.id == groups[-1].id + 1  # not the freed one
        if not sqlite:
            with pytest.raises(DBAPIError):
                with db.engine.begin() as conn:
                    conn.execute(text("DELETE FROM audit_log"))
        downgrade(directory=MIGRATIONS, revision=BEFORE)
        with db.engine.connect() as conn:
            assert not audit_guard_installed(conn)
            if sqlite:
                assert not schema_details(conn)["qc_group_filing"]["autoincrement"]
            assert len(_state(conn)["filings"]) == 3 and _state(conn)["audit"] == before["audit"]
        db.engine.dispose()

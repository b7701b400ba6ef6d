"""Revision 0003 on a database that already holds rows: names stay as stored, keys and old values filled."""
import os

from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.core.extensions import db
from tests.core.test_migrations import empty_database_url  # noqa: F401

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


def test_existing_rows_keep_their_names(empty_database_url, tmp_path):  # noqa: F811
    migrated = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_database_url, SECRET_KEY="x",
                          UPLOAD_DIR=str(tmp_path / "up"))
    with migrated.app_context():
        upgrade(directory=MIGRATIONS, revision="0001")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO province (code, name) VALUES ('11', '北京市')"))
            conn.execute(text("INSERT INTO industry (code, name, note) VALUES ('26', '化学原料', '')"))
            for n, (name, status) in enumerate((("测试化工(北京)有限公司", "approved"), ("ABC 化工", "approved"),
                                                ("abc化工", "pending"), ("被拒 化工", "rejected")), start=1):
                conn.execute(text(
                    "INSERT INTO user_account (id, username, password_hash, role, display_name, is_enabled,"
                    " must_change_password, created_at) VALUES (:n, :u, 'x', 'unit', :name, true, false,"
                    " '2025-01-01')"), {"n": n, "u": f"unit{n}", "name": name})
                conn.execute(text(
                    "INSERT INTO unit (id, user_id, name, credit_code, contact, mobile, address, postcode,"
                    " province_code, industry_code, email, status, created_at, updated_at)"
                    " VALUES (:n, :n, :name, :code, '张三', '13912345678', '地址', '100000', '11', '26',"
                    " 'a@b.cn', :status, '2025-01-01', '2025-01-01')"),
                    {"n": n, "name": name, "code": f"CODE{n}", "status": status})
            conn.execute(text(
                "INSERT INTO invitation (id, unit_id, enterprise_name, contact, email, phone, created_at,"
                " group_token_version, team_token_version) VALUES (1, 1, '燕山石化(北京)', '李四', 'e@x.cn',"
                " '13800000000', '2025-01-01', 1, 1)"))
            conn.execute(text(
                "INSERT INTO unit_change_log (unit_id, created_at, field, old_value, new_value) VALUES"
                " (1, '2025-02-01', 'name', '测试化工北京公司', '测试化工(北京)有限公司')"))
            conn.execute(text(
                "INSERT INTO unit_change_request (unit_id, new_name, status, created_at) VALUES"
                " (1, '测试化工(北京)有限公司', 'approved', '2025-01-15'),"
                " (2, 'ABC化工集团', 'pending', '2025-03-01')"))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            units = dict(conn.execute(text("SELECT name, name_key FROM unit")).all())
            invitation = conn.execute(text("SELECT enterprise_name, enterprise_key FROM invitation")).one()
            requests = conn.execute(text(
                "SELECT unit_id, old_name, old_credit_code FROM unit_change_request ORDER BY unit_id")).all()
        db.engine.dispose()
    assert units["测试化工(北京)有限公司"] == "测试化工(北京)有限公司"  # the name itself is untouched
    assert units["ABC 化工"] == "abc化工" and units["abc化工"] == "abc化工#3"  # two live units kept apart
    assert units["被拒 化工"] == "被拒化工"
    assert tuple(invitation) == ("燕山石化(北京)", "燕山石化(北京)")
    assert [tuple(r) for r in requests] == [(1, "测试化工北京公司", None), (2, "ABC 化工", "CODE2")]

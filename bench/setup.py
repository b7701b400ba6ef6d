"""Bench fixtures: a fresh SQLite database, a logged-in unit, generated group files, a gunicorn server."""
import io
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key"
HEADERS = ["企业名称", "小组名称", "课题名称", "课题类型", "成立时间", "课题注册时间", "小组长", "小组人数",
           "活动指导者", "联系人", "手机", "电子邮箱", "备注"]
TOPIC_TYPES = ["问题解决型（自定目标）", "问题解决型（指令性目标）", "创新型"]


def make_app(db_path, instance, uri=None):
    """The real app on a bench SQLite file or on the database `uri` (tables made, reference data loaded)."""
    os.environ.setdefault("INSTANCE_PATH", str(instance))
    from app import create_app
    from app.commands import load_reference_data
    from app.core.extensions import db

    app = create_app("development", SQLALCHEMY_DATABASE_URI=uri or f"sqlite:///{db_path}", SECRET_KEY=SECRET,
                     UPLOAD_DIR=str(instance / "uploads"), MAIL_SENDER_THREAD=False)
    with app.app_context():
        db.create_all()
        load_reference_data()
    return app


def make_unit(app, username="benchunit", name="基准测试石化集团有限公司", credit_code="91350100M000100Y43"):
    """An approved unit with a server-side session; returns (unit_id, cookie header, csrf header)."""
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import URLSafeTimedSerializer

    from app.core.extensions import db
    from app.core.tokens import hash_token, new_token
    from app.models import Unit, User, UserSession

    with app.app_context():
        user = User(username=username, role="unit", password_hash="x", display_name="基准测试单位")
        unit = Unit(user=user, name=name, credit_code=credit_code, contact="张三",
                    mobile="13912345678", address="北京", postcode="100723", province_code="11",
                    industry_code="26", email="bench@example.com", status="approved")
        token = new_token()
        db.session.add_all([user, unit, UserSession(token_hash=hash_token(token), user=user)])
        db.session.commit()
        unit_id = unit.id
    raw_csrf = new_token(20)
    cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps(
        {"_user_id": token, "_fresh": True, "csrf_token": raw_csrf})
    csrf = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token").dumps(raw_csrf)
    return unit_id, f"{app.config['SESSION_COOKIE_NAME']}={cookie}", csrf


def group_file(n, seed=1, enterprises=40):
    """An n-row group import file as users make them (numbers as numbers, date cells)."""
    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("小组备案")
    sheet.append(HEADERS)
    for i in range(1, n + 1):
        sheet.append([
            f"中国石化第{i % enterprises + 1}分公司", f"第{i}号攻关QC小组", f"降低{i}号装置能耗的研究",
            TOPIC_TYPES[i % 3], date(2020 + i % 5, i % 12 + 1, i % 28 + 1),
            f"{2024}-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "王五", rng.randint(3, 12), None, "李四",
            13900000000 + i, f"qc{i}@example.com", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def multipart(data, name="groups.xlsx"):
    """A multipart/form-data body with one file field."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def free_port():
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as `make run` starts it (gunicorn.conf.py), on the bench database (or `database_url`);
    workers/threads override."""

    def __init__(self, db_path, instance, workers=None, threads=None, database_url=None):
        self.port = free_port()
        env = dict(os.environ, DATABASE_URL=database_url or f"sqlite:///{db_path}", SECRET_KEY=SECRET,
                   APP_ENV="development",
                   INSTANCE_PATH=str(instance), UPLOAD_DIR=str(instance / "uploads"), MAIL_SENDER_THREAD="0")
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [gunicorn, "--config", str(ROOT / "gunicorn.conf.py"), "--access-logfile", "/dev/null",
             *(["--workers", str(workers)] if workers else []), *(["--threads", str(threads)] if threads else []),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        """Terminate our gunicorn (by its own pid only)."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()

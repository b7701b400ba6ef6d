"""Mail outbox: real SMTP delivery, retries with growing delays, 失败, claiming, the page and the CLI."""
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest

from app.core import outbox
from app.core.clock import utcnow
from app.core.extensions import db
from app.models import OutboxMail, Unit


@contextmanager
def mail_config(app, **values):
    """Point the app at a mail server for the duration of a test (restored afterwards)."""
    old = {key: app.config.get(key) for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(old)


def closed_port():
    """A loopback port nobody listens on (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never says a word."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock.getsockname()[1]
    sock.close()


def queue(app, n=1):
    with app.app_context():
        for i in range(n):
            outbox.queue_mail(f"to{i}@example.com", f"主题{i}", f"正文{i}")
        db.session.commit()


def rows(app):
    with app.app_context():
        return db.session.execute(db.select(OutboxMail).order_by(OutboxMail.id)).scalars().all()


def test_without_mail_server_mails_wait_in_the_outbox(app):
    queue(app)
    with app.app_context():
        assert outbox.deliver_due() == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    assert rows(app)[0].status == "pending"


def test_mail_is_delivered_to_a_real_smtp_server(app, smtp_server):
    with app.app_context():
        outbox.queue_mail("unit@example.com", "【测试】注册成功", "您单位的注册资料已审核通过。")
        db.session.commit()
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        assert outbox.deliver_due()["sent"] == 1
    message = smtp_server.messages[0]
    assert message["Subject"] == "【测试】注册成功" and message["To"] == "unit@example.com"
    assert "审核通过" in message.get_content()
    row = rows(app)[0]
    assert row.status == "sent" and row.attempts == 1 and row.sent_at and row.locked_until is None


def test_refused_server_approval_succeeds_and_mail_is_retried_then_delivered(
        app, client, make, auth, smtp_server):
    unit = make.unit(status="pending")
    auth.login(client, make.secretariat())
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_TIMEOUT=1):
        started = time.monotonic()
        assert client.post(f"/admin/registrations/{unit.id}/approve").status_code == 200
        assert time.monotonic() - started < 2
        with app.app_context():
            assert db.session.get(Unit, unit.id).status == "approved"
            assert outbox.deliver_due()["retry"] == 1
            assert outbox.deliver_due()["sent"] == 0  # not due again yet
        first = rows(app)[0]
        assert first.status == "pending" and first.attempts == 1 and "Refused" in first.last_error
        delay = (first.next_attempt_at - utcnow()).total_seconds()
        assert 30 < delay <= 60
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        assert outbox.deliver_due(now=utcnow() + timedelta(minutes=2))["sent"] == 1
    assert "注册成功" in smtp_server.messages[0]["Subject"]
    assert rows(app)[0].status == "sent" and rows(app)[0].attempts == 2


def test_silent_server_times_out_and_the_mail_waits(app, client, make, auth, silent_server, smtp_server):
    unit = make.unit(status="pending")
    auth.login(client, make.secretariat())
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=silent_server, MAIL_TIMEOUT=0.5):
        started = time.monotonic()
        assert client.post(f"/admin/registrations/{unit.id}/approve").status_code == 200
        assert time.monotonic() - started < 1.5  # the request never talks to the mail server
        with app.app_context():
            started = time.monotonic()
            assert outbox.deliver_due()["retry"] == 1
            assert time.monotonic() - started < 5  # the connection timeout bounds the attempt
    row = rows(app)[0]
    assert row.status == "pending" and "timed out" in row.last_error.lower()
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port), app.app_context():
        assert outbox.deliver_due(now=utcnow() + timedelta(hours=1))["sent"] == 1
    assert len(smtp_server.messages) == 1


def test_delays_grow_and_the_mail_fails_for_good_after_max_attempts(app):
    queue(app)
    now = utcnow()
    delays = []
    config = mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_MAX_ATTEMPTS=4)
    with config, app.app_context():
        for _ in range(4):
            now = now + timedelta(hours=2)
            outcome = outbox.deliver_due(now=now)
            row = db.session.get(OutboxMail, rows(app)[0].id, populate_existing=True)
            if row.status == "pending":
                delays.append((row.next_attempt_at - now).total_seconds())
        assert outcome["failed"] == 1
    assert delays == sorted(delays) and delays[0] < delays[-1]
    row = rows(app)[0]
    assert row.status == "failed" and row.status_label == "失败" and row.attempts == 4


def test_two_concurrent_senders_never_send_one_mail_twice(app, smtp_server):
    queue(app, 24)
    barrier = threading.Barrier(2)
    errors = []

    def sender():
        try:
            with app.app_context():
                barrier.wait()
                outbox.deliver_due()
                db.session.remove()
        except Exception as error:  # pragma: no cover — reported below
            errors.append(error)

    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port):
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert len(subjects) == 24 and len(set(subjects)) == 24
    assert all(r.status == "sent" and r.attempts == 1 for r in rows(app))


def test_a_claimed_mail_cannot_be_claimed_again_until_its_lease_expires(app):
    queue(app)
    mail_id = rows(app)[0].id
    with mail_config(app, MAIL_SERVER="127.0.0.1"), app.app_context():
        assert outbox.claim(mail_id) is True
        assert outbox.claim(mail_id) is False
        assert outbox.claim(mail_id, now=utcnow() + timedelta(minutes=10)) is True  # a crashed sender's claim


def test_sender_thread_delivers_in_the_background(app, smtp_server):
    queue(app, 2)
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_POLL_SECONDS=0.1):
        thread = outbox.SenderThread(app)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while len(smtp_server.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            thread.stop_event.set()
            thread.join(10)
    assert len(smtp_server.messages) == 2


def test_send_mail_cli(app, smtp_server):
    queue(app)
    runner = app.test_cli_runner()
    assert "未配置 MAIL_SERVER" in runner.invoke(args=["send-mail"]).output
    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port):
        result = runner.invoke(args=["send-mail"])
    assert "已发送 1 封" in result.output and len(smtp_server.messages) == 1


def test_outbox_page_lists_mails_and_resends(app, client, make, auth):
    queue(app, 3)
    with app.app_context():
        row = db.session.execute(db.select(OutboxMail)).scalars().first()
        row.status, row.attempts, row.last_error = "failed", 6, "ConnectionRefusedError: refused"
        db.session.commit()
        failed_id = row.id
    auth.login(client, make.secretariat())
    html = client.get("/admin/outbox").get_data(as_text=True)
    for text in ["收件人", "主题", "状态", "尝试次数", "最后错误", "重发", "失败", "待发送", "无法连接邮件服务器",
                 "尚未配置发信的邮件服务器"]:
        assert text in html
    assert "ConnectionRefusedError" not in html and "MAIL_SERVER" not in html  # no English codes in the list
    assert html.count(">重发</button>") == 1  # only the 失败 mail
    page = client.get(f"/admin/outbox/{failed_id}").get_data(as_text=True)
    assert "ConnectionRefusedError: refused" in page and "技术信息" in page  # the mail's own page keeps it
    response = client.post(f"/admin/outbox/{failed_id}/resend", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "待发送" in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(OutboxMail, failed_id)
        assert row.status == "pending" and row.attempts == 0
    again = client.post(f"/admin/outbox/{failed_id}/resend", headers={"HX-Request": "true"})
    assert again.status_code == 409 and "只有发送失败的邮件可以重发" in again.get_data(as_text=True)
    sent_only = client.get("/admin/outbox?status=sent", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in sent_only and "发件箱中没有邮件" in sent_only


def test_outbox_list_query_count_does_not_grow(app, client, make, auth, count_queries):
    auth.login(client, make.secretariat())
    queue(app, 2)
    with count_queries() as few:
        client.get("/admin/outbox")
    queue(app, 25)
    with count_queries() as many:
        client.get("/admin/outbox")
    assert len(few) == len(many)


def test_two_senders_racing_for_the_same_rows_deliver_each_once(app, smtp_server):
    """Both senders try every row in the same order: each row is won by exactly one of them."""
    queue(app, 16)
    ids = [r.id for r in rows(app)]
    barrier = threading.Barrier(2)
    outcomes = []

    def sender():
        with app.app_context():
            barrier.wait()
            outcomes.extend(outbox.deliver_one(i) for i in ids)
            db.session.remove()

    with mail_config(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port):
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert outcomes.count("sent") == 16 and outcomes.count(None) == 16
    assert sorted(m["Subject"] for m in smtp_server.messages) == sorted(f"主题{i}" for i in range(16))


def test_outbox_paginates_and_query_count_is_flat_beyond_one_page(app, client, make, auth, count_queries):
    from app.secretariat.views.outbox import PER_PAGE

    auth.login(client, make.secretariat())
    queue(app, 1)
    with count_queries() as few:
        html = client.get("/admin/outbox").get_data(as_text=True)
    assert "共 1 封" in html and "第 1 /" not in html
    queue(app, PER_PAGE + 9)
    with app.app_context():
        first = db.session.execute(db.select(OutboxMail).order_by(OutboxMail.id)).scalars().first()
        first.status = "failed"
        db.session.commit()
    with count_queries() as many:
        html = client.get("/admin/outbox").get_data(as_text=True)
    assert len(many) == len(few)
    assert f"共 {PER_PAGE + 10} 封" in html and "第 1 / 2 页" in html and html.count('id="mail-') == PER_PAGE
    assert f"待发送（{PER_PAGE + 9}）" in html and "失败（1）" in html
    second = client.get("/admin/outbox?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert second.count('id="mail-') == 10 and "<html" not in second
    failed = client.get("/admin/outbox?status=failed", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert failed.count('id="mail-') == 1 and "共 1 封（失败）" in failed

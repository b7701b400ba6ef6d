"""Housekeeping runs without mail: `flask housekeeping` for cron, and before requests once per interval
across every worker and host; staged licenses live hours and are capped per address; captchas are limited
per address."""
import io
import os
import re
import threading
from datetime import timedelta, timezone
from pathlib import Path

import pytest

from app import housekeeping
from app.accounts.views import helpers as auth_helpers
from app.core import jobs, ratelimit, uploads
from app.core.extensions import db
from app.core.tokens import hash_token
from app.models import CaptchaChallenge, JobClaim, RateLimitBucket, StoredFile, UserSession
from tests.security.conftest import png_bytes
from tests.conftest import freeze_clock

MB = 1024 * 1024


@pytest.fixture
def clock(monkeypatch):
    """A frozen utcnow that a test moves forward: clock.advance(minutes=11)."""
    return freeze_clock(monkeypatch)


def litter(app, user_id, now, tag="a"):
    """One of each thing housekeeping purges, and one of each that it must keep; returns stored names."""
    upload_dir = Path(app.config["UPLOAD_DIR"])
    names = {}
    with app.app_context():
        for age, label in ((timedelta(hours=4), "stale"), (timedelta(hours=1), "fresh")):
            name = f"{label}{tag}{os.getpid()}.png"
            (upload_dir / name).write_bytes(png_bytes())
            db.session.add(StoredFile(stored_name=name, original_name="执照.png", content_type="image/png",
                                      size=10, sha256="0" * 64, purpose="license",
                                      staging_key_hash=hash_token(name), created_at=now - age))
            names[label] = name
        for age, label in ((timedelta(hours=2), "stale"), (timedelta(minutes=1), "fresh")):
            db.session.add(CaptchaChallenge(id=f"{label}{tag}", answer_hash="x", created_at=now - age,
                                            expires_at=now - age + timedelta(minutes=5)))
        for seen, label in ((now - timedelta(hours=3), "stale"), (now, "fresh")):
            db.session.add(UserSession(token_hash=hash_token(label + tag), user_id=user_id,
                                       created_at=now - timedelta(hours=4), last_seen_at=seen))
        epoch = int(now.replace(tzinfo=timezone.utc).timestamp())
        db.session.add(RateLimitBucket(key=f"old{tag}", window_start=epoch - 2 * 86400, count=1))
        db.session.add(RateLimitBucket(key=f"new{tag}", window_start=epoch - 60, count=1))
        db.session.commit()
    return names


def leftovers(app, tag="a"):
    """Which of litter()'s rows are still there."""
    with app.app_context():
        found = {
            "files": sorted(db.session.execute(db.select(StoredFile.stored_name)).scalars()),
            "captchas": sorted(db.session.execute(db.select(CaptchaChallenge.id)).scalars()),
            "sessions": sorted(db.session.execute(db.select(UserSession.token_hash)).scalars()),
            "buckets": sorted(db.session.execute(db.select(RateLimitBucket.key)
                                                 .where(RateLimitBucket.key.like(f"%{tag}"))).scalars()),
        }
        db.session.rollback()
    return found


def assert_purged(app, names, tag="a"):
    left = leftovers(app, tag)
    assert left["files"] == [names["fresh"]]
    assert left["captchas"] == [f"fresh{tag}"]
    assert left["sessions"] == [hash_token("fresh" + tag)]
    assert left["buckets"] == [f"new{tag}"]
    assert not (Path(app.config["UPLOAD_DIR"]) / names["stale"]).exists()
    assert (Path(app.config["UPLOAD_DIR"]) / names["fresh"]).exists()


def test_flask_housekeeping_purges_without_any_mail_server(app, make, clock):
    assert not app.config.get("MAIL_SERVER")
    names = litter(app, make.unit().user.id, clock.now)
    result = app.test_cli_runner().invoke(args=["housekeeping"])
    assert result.exit_code == 0, result.output
    assert "删除暂存未提交的营业执照 1 个" in result.output
    assert_purged(app, names)


@pytest.fixture
def on_requests(app):
    """Housekeeping before requests switched on (the tests' config has it off), this process's gate open."""
    app.config["HOUSEKEEPING_ON_REQUESTS"] = True
    housekeeping._next_check.clear()
    yield
    app.config["HOUSEKEEPING_ON_REQUESTS"] = False
    housekeeping._next_check.clear()


def test_requests_run_it_once_per_interval_across_processes(app, client, make, clock, on_requests):
    user_id = make.unit().user.id
    names = litter(app, user_id, clock.now, "a")
    assert client.get("/").status_code == 200
    assert_purged(app, names, "a")
    # another worker (its own gate open) within the interval: the claim row says it already ran
    later = litter(app, user_id, clock.now, "b")
    housekeeping._next_check.clear()
    client.get("/")
    assert leftovers(app, "b")["buckets"] == ["newb", "oldb"]
    # after the interval the next request anywhere runs it again
    clock.advance(seconds=app.config["HOUSEKEEPING_SECONDS"] + 1)
    housekeeping._next_check.clear()
    client.get("/")
    assert leftovers(app, "b")["buckets"] == ["newb"]
    assert not (Path(app.config["UPLOAD_DIR"]) / later["stale"]).exists()


def test_one_process_asks_the_database_at_most_once_a_minute(app, client, clock, on_requests, count_queries):
    client.get("/")
    clock.advance(hours=1)
    with count_queries() as statements:
        client.get("/")
    assert not [s for s in statements if "job_claim" in s]


def test_a_failing_purge_does_not_fail_the_request(app, client, monkeypatch, on_requests):
    def broken(now=None):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(housekeeping, "run", broken)
    assert client.get("/").status_code == 200


def test_many_workers_claim_it_once(app):
    """Eight threads (each its own connection, as workers are) race for the claim: exactly one wins."""
    barrier = threading.Barrier(8)
    wins = []

    def worker():
        with app.app_context():
            barrier.wait()
            wins.append(jobs.claim("race", 600))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
    with app.app_context():
        assert db.session.get(JobClaim, "race") is not None


def test_staged_licenses_live_hours_not_days(app, clock):
    with app.app_context():
        row = uploads.store(png_bytes(), "png", "执照.png", "license")
        row.staging_key_hash = hash_token("k" * 32)
        row.created_at = clock.now - uploads.STAGING_LIFETIME - timedelta(seconds=1)
        db.session.commit()
        assert uploads.STAGING_LIFETIME <= timedelta(hours=6)
        assert uploads.find_staged("k" * 32) is None
        assert housekeeping.run_now() == 1


def upload(client, size, address="10.9.9.9"):
    content = b"%PDF-1.4\n" + b"0" * (size - 9)
    return client.post("/register/license", data={"license": (io.BytesIO(content), "执照.pdf")},
                       content_type="multipart/form-data", headers={"HX-Request": "true"},
                       environ_base={"REMOTE_ADDR": address})


def test_staged_bytes_are_capped_per_address(app, client, clock):
    statuses = [upload(client, int(4.5 * MB)).status_code for _ in range(4)]
    assert statuses == [200] * 4  # 18 MB
    refused = upload(client, int(4.5 * MB))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "一小时内从本机上传的营业执照文件已超过20M" in html
    assert 'name="license_key" value=""' in html or "license_key" not in html
    with app.app_context():
        assert db.session.execute(db.select(db.func.count(StoredFile.id))).scalar() == 4
    assert upload(client, MB, address="10.9.9.10").status_code == 200  # another address is not affected
    clock.advance(hours=1, minutes=1)
    assert upload(client, int(4.5 * MB)).status_code == 200  # the last hour, not forever


def test_the_registration_submit_path_is_capped_too(app, client, clock):
    for _ in range(4):
        upload(client, int(4.9 * MB))
    content = b"%PDF-1.4\n" + b"0" * MB
    form = {"license": (io.BytesIO(content), "执照.pdf"), "captcha": "x"}
    response = client.post("/register/form", data=form,
                           content_type="multipart/form-data", headers={"HX-Request": "true"},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert response.status_code == 422 and "超过20M" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/login", "/register/form", "/password/forgot", "/captcha"])
def test_captchas_are_limited_per_address(app, client, monkeypatch, path):
    monkeypatch.setattr(auth_helpers, "CAPTCHA_LIMIT", 6)
    pages = ["/login", "/register/form", "/password/forgot", "/captcha"]
    for i in range(6):
        assert client.get(pages[i % 4], environ_base={"REMOTE_ADDR": "10.7.7.7"}).status_code == 200
    response = client.get(path, environ_base={"REMOTE_ADDR": "10.7.7.7"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "获取验证码过于频繁" in html and "换图" in html
    assert re.search(r'name="captcha_id" value=""', html)
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(CaptchaChallenge)).scalar() == 6
        assert ratelimit.count("captcha:10.7.7.7", auth_helpers.CAPTCHA_WINDOW) == 7
        db.session.rollback()
    other = client.get(path, environ_base={"REMOTE_ADDR": "10.7.7.8"})
    assert "data:image/png" in other.get_data(as_text=True)


def test_housekeeping_sweeps_partial_uploads_left_by_a_killed_worker(app):
    """A worker killed mid-upload leaves its .part file; housekeeping removes it once it is hours old and leaves
    an upload still being received (a fresh .part) and the stored files alone."""
    upload_dir = Path(app.config["UPLOAD_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    old, fresh, kept = upload_dir / "abandoned.part", upload_dir / "receiving.part", upload_dir / "kept.png"
    for path in (old, fresh, kept):
        path.write_bytes(b"x" * 10)
    seven_hours_ago = os.path.getmtime(old) - 7 * 3600
    os.utime(old, (seven_hours_ago, seven_hours_ago))
    os.utime(kept, (seven_hours_ago, seven_hours_ago))
    with app.app_context():
        housekeeping.run_now()
    assert not old.exists() and fresh.exists() and kept.exists()

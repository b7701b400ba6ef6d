"""Fixtures of the accounts tests: a known captcha answer, license files, registration data."""
import io
import struct
import zlib

import pytest
from PIL import Image

from app.accounts import captcha as captcha_service
from app.core.clock import utcnow
from app.core.extensions import db as _db
from app.models import CaptchaChallenge
from tests.factories import valid_credit_code

TEST_ANSWER = "QC2024"


@pytest.fixture
def captcha_answer(app):
    """Accept TEST_ANSWER as every captcha's answer (CAPTCHA_TEST_ANSWER), restored afterwards."""
    old = app.config.get("CAPTCHA_TEST_ANSWER")
    app.config["CAPTCHA_TEST_ANSWER"] = TEST_ANSWER
    yield TEST_ANSWER
    app.config["CAPTCHA_TEST_ANSWER"] = old


@pytest.fixture
def known_captcha(app):
    """Create a challenge whose answer is known: known_captcha(answer, expires_in=timedelta) -> id."""
    from datetime import timedelta

    def create(answer="AB34", expires_in=timedelta(minutes=5)):
        with app.app_context():
            challenge_id = f"known-{answer}-{utcnow().timestamp()}"
            answer_hash = captcha_service._hash_answer(challenge_id, answer)
            _db.session.add(CaptchaChallenge(id=challenge_id, answer_hash=answer_hash,
                                             created_at=utcnow(), expires_at=utcnow() + expires_in))
            _db.session.commit()
        return challenge_id

    return create


def make_png(size=(64, 40), color=(200, 30, 30)):
    """A small real PNG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def make_jpeg(size=(64, 40)):
    """A small real JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(out, "JPEG")
    return out.getvalue()


PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def pixel_bomb_png(width=60000, height=60000):
    """A tiny PNG file whose header claims billions of pixels (decoding it would exhaust memory)."""
    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.fixture
def files():
    """License file contents: png, jpeg, pdf, bomb."""
    class Files:
        png = make_png()
        jpeg = make_jpeg()
        pdf = PDF_BYTES
        bomb = pixel_bomb_png()
    return Files


_seq = iter(range(500, 10_000))


def registration_data(**overrides):
    """A complete, valid registration form (license and captcha excluded)."""
    n = next(_seq)
    data = {
        "name": f"山东测试石化有限公司{n}", "credit_code": valid_credit_code(n).lower(),
        "username": f"sdsh{n}", "password": "pass1234", "password2": "pass1234",
        "contact": "王小明", "mobile": "139 1234 5678", "address": "山东省济南市历下区经十路1号",
        "postcode": "250000", "province_code": "37", "industry_code": "26", "email": f"qc{n}@example.com",
        "captcha": TEST_ANSWER, "captcha_id": "",
    }
    data.update(overrides)
    return data


def upload_license(client, content, filename="license.png"):
    """Stage a license like the 上传 button does; returns the response."""
    return client.post("/register/license", data={"license": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data", headers={"HX-Request": "true"})


def staged_key(response):
    """The license_key hidden field of an upload response."""
    import re

    match = re.search(r'name="license_key" value="([^"]+)"', response.get_data(as_text=True))
    return match.group(1) if match else None


def register(client, files_png, **overrides):
    """Upload a license and submit the registration form; returns (response, data)."""
    key = staged_key(upload_license(client, files_png))
    data = registration_data(license_key=key, **overrides)
    response = client.post("/register/form", data=data, headers={"HX-Request": "true"})
    return response, data


def _free_port():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def start_smtp_server():
    """A real aiosmtpd server on a free loopback port (.port, .messages); caller stops it."""
    from aiosmtpd.controller import Controller

    from tests.conftest import SmtpSink

    sink = SmtpSink()
    # aiosmtpd 1.4.6 cannot start with port=0 (its readiness check connects to port 0): pick a free port.
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    controller.messages = sink.messages
    return controller


@pytest.fixture
def smtp_server():
    """Overrides tests/conftest.py's smtp_server, which fails to start with port=0 on aiosmtpd 1.4.6."""
    controller = start_smtp_server()
    yield controller
    controller.stop()

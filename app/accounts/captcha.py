"""One-time image captchas: one database row per image, answer hashed, any attempt uses it up."""
import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from captcha.image import ImageCaptcha
from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import update

from app.accounts.models import CaptchaChallenge
from app.core.clock import utcnow
from app.core.extensions import db
from app.core.tokens import hash_token, new_token

LIFETIME = timedelta(minutes=5)
# No 0/O, 1/I/L/7, 5/S, 2/Z: characters people mix up when reading a distorted image.
ALPHABET = "3468ABCDEFGHJKMNPQRTUVWXY"
LENGTH = 4
IMAGE_SIZE = (280, 100)
ERROR_MESSAGE = "验证码错误或已过期，请按新图片重新输入（看不清可点击“换图”）。"


class LegibleCaptcha(ImageCaptcha):
    """ImageCaptcha whose characters are pasted through their alpha channel.

    The library masks each character with its own luminance, so dark characters come out pale grey
    and hard to read on a phone; the alpha mask keeps them solid (noise and warping stay the same).
    """

    def create_captcha_image(self, chars, color, background):
        """Draw the characters side by side, barely touching, centred in the image."""
        image = Image.new("RGB", (self._width, self._height), background)
        draw = ImageDraw.Draw(image)
        images = [self._draw_character(c, draw, color) for c in chars]
        average = sum(im.size[0] for im in images) // len(images)
        steps = [im.size[0] - secrets.randbelow(max(average // 10, 1) + 1) for im in images]
        text_width = sum(steps[:-1]) + images[-1].size[0]
        width = max(text_width, self._width)
        image = image.resize((width, self._height))
        offset = (width - text_width) // 2
        for im, step in zip(images, steps):
            image.paste(im, (offset, int((self._height - im.size[1]) / 2)), im.getchannel("A"))
            offset += step
        if width > self._width:
            image = image.resize((self._width, self._height))
        return image


@dataclass(frozen=True)
class Challenge:
    """A fresh challenge: its id (goes in a hidden field) and the image as a data: URI."""

    id: str
    image_uri: str


# What a page shows instead of an image when its address fetched too many captchas (no row is written).
LIMITED = Challenge("", "")


def _hash_answer(challenge_id, answer):
    """Hash an answer bound to its challenge (case-insensitive)."""
    return hash_token(f"{challenge_id}:{answer.strip().upper()}")


def new_challenge():
    """Create a challenge row and its PNG image; flushes only."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    challenge_id = new_token(24)
    now = utcnow()
    db.session.add(CaptchaChallenge(id=challenge_id, answer_hash=_hash_answer(challenge_id, answer),
                                    created_at=now, expires_at=now + LIFETIME))
    # dark characters on white: readable for people, still distorted for scripts
    colour = (secrets.randbelow(40) + 10, secrets.randbelow(40) + 30, secrets.randbelow(50) + 80)
    # Drawn at twice the displayed size (140x50 CSS pixels) so it stays sharp on phone screens.
    png = LegibleCaptcha(width=IMAGE_SIZE[0], height=IMAGE_SIZE[1], font_sizes=(66, 72, 78)).generate(
        answer, format="png", bg_color=(255, 255, 255), fg_color=colour).getvalue()
    db.session.flush()
    return Challenge(challenge_id, "data:image/png;base64," + base64.b64encode(png).decode())


def verify(challenge_id, answer):
    """True when answer solves the challenge; the challenge is used up either way."""
    answer = (answer or "").strip()
    test_answer = current_app.config.get("CAPTCHA_TEST_ANSWER")
    used = False
    if challenge_id:
        row = db.session.get(CaptchaChallenge, str(challenge_id)[:64])
        # Claim the row with a guarded UPDATE so two concurrent attempts cannot both use it.
        now = utcnow()
        result = db.session.execute(
            update(CaptchaChallenge)
            .where(CaptchaChallenge.id == str(challenge_id)[:64], CaptchaChallenge.used_at.is_(None),
                   CaptchaChallenge.expires_at > now)
            .values(used_at=now)
            .execution_options(synchronize_session=False))
        used = result.rowcount == 1 and row is not None
        if used and answer and hmac.compare_digest(row.answer_hash, _hash_answer(row.id, answer)):
            return True
    if test_answer and answer and answer.upper() == test_answer.strip().upper():
        return True
    return False


def purge_expired(now=None):
    """Delete challenges that expired over an hour ago (housekeeping)."""
    cutoff = (now or utcnow()) - timedelta(hours=1)
    db.session.execute(db.delete(CaptchaChallenge).where(CaptchaChallenge.expires_at < cutoff))

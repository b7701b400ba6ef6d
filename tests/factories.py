"""Test data factories. Each call commits and returns detached objects with attributes loaded."""
import itertools
from datetime import date

from app.accounts.passwords import hash_password
from app.core.extensions import db
from app.core.validators import CREDIT_CHARSET, credit_check_char
from app.models import Invitation, QcGroupFiling, TeamFiling, Unit, User

_seq = itertools.count(1)
PASSWORD = "secret123"
_PASSWORD_HASH = None


def valid_credit_code(n):
    """A valid 统一社会信用代码 derived from a number."""
    body = f"91110000{n:09d}"
    body = "".join(CREDIT_CHARSET[int(ch)] for ch in body)
    return body + credit_check_char(body)


def _password_hash():
    global _PASSWORD_HASH
    if _PASSWORD_HASH is None:
        _PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run
    return _PASSWORD_HASH


class Factory:
    """Factories bound to one app."""

    def __init__(self, app):
        self.app = app

    def _save(self, *objects):
        with self.app.app_context():
            for obj in objects:
                db.session.add(obj)
            db.session.commit()
            for obj in objects:
                db.session.refresh(obj)
            for obj in objects:
                _load(obj)
                db.session.expunge(obj)
        return objects[0] if len(objects) == 1 else objects

    def user(self, role="unit", username=None, password=None, **kw):
        """A login account."""
        n = next(_seq)
        user = User(username=username or f"user{n:04d}", role=role,
                    password_hash=hash_password(password) if password else _password_hash(),
                    display_name=kw.pop("display_name", f"用户{n}"), **kw)
        return self._save(user)

    def secretariat(self, **kw):
        """A secretariat clerk."""
        return self.user(role="secretariat", **kw)

    def expert(self, **kw):
        """A review expert."""
        return self.user(role="expert", **kw)

    def unit(self, name=None, status="approved", username=None, password=None, **kw):
        """A registered unit with its account; .user is loaded."""
        n = next(_seq)
        with self.app.app_context():
            user = User(username=username or f"unit{n:04d}", role="unit",
                        password_hash=hash_password(password) if password else _password_hash(),
                        display_name=name or f"测试化工有限公司{n}")
            unit = Unit(user=user, name=name or f"测试化工有限公司{n}",
                        credit_code=kw.pop("credit_code", valid_credit_code(n)),
                        contact=kw.pop("contact", "张三"), mobile=kw.pop("mobile", "13912345678"),
                        address=kw.pop("address", "北京市朝阳区安慧里四区16号楼"),
                        postcode=kw.pop("postcode", "100723"),
                        province_code=kw.pop("province_code", "11"),
                        industry_code=kw.pop("industry_code", "26"),
                        email=kw.pop("email", f"unit{n}@example.com"), status=status, **kw)
            db.session.add_all([user, unit])
            db.session.commit()
            db.session.refresh(unit)
            _load(unit)
            _load(unit.user)
            db.session.expunge_all()
        return unit

    def invitation(self, unit, **kw):
        """An invitation of unit (token hashes are set by the invite service, not here)."""
        n = next(_seq)
        inv = Invitation(unit_id=unit.id, enterprise_name=kw.pop("enterprise_name", f"被邀企业{n}"),
                         contact=kw.pop("contact", "李四"), email=kw.pop("email", f"ent{n}@example.com"),
                         phone=kw.pop("phone", "13800000000"), **kw)
        return self._save(inv)

    def group(self, unit, year=None, **kw):
        """A QC group filing."""
        n = next(_seq)
        year = year or date.today().year + 1
        row = QcGroupFiling(
            unit_id=unit.id, year=year, reg_no=kw.pop("reg_no", f"QC-{year}-{n:06d}"),
            enterprise_name=kw.pop("enterprise_name", unit.name), group_name=kw.pop("group_name", f"攻关QC小组{n}"),
            topic=kw.pop("topic", "降低装置能耗"), topic_type=kw.pop("topic_type", "创新型"),
            founded_on=kw.pop("founded_on", date(2024, 3, 1)), leader=kw.pop("leader", "王五"),
            member_count=kw.pop("member_count", 7), contact=kw.pop("contact", "王五"),
            mobile=kw.pop("mobile", "13912345678"), **kw)
        return self._save(row)

    def team(self, unit, year=None, **kw):
        """A team filing."""
        n = next(_seq)
        year = year or date.today().year + 1
        row = TeamFiling(
            unit_id=unit.id, year=year, reg_no=kw.pop("reg_no", f"BZ-{year}-{n:06d}"),
            enterprise_name=kw.pop("enterprise_name", unit.name), team_name=kw.pop("team_name", f"常减压{n}班"),
            department=kw.pop("department", "炼油一部"), leader=kw.pop("leader", "赵六"),
            member_count=kw.pop("member_count", 12), contact=kw.pop("contact", "赵六"),
            mobile=kw.pop("mobile", "13912345678"), **kw)
        return self._save(row)


def _load(obj):
    """Touch every column so the detached object can be read after the session closes."""
    for column in obj.__table__.columns:
        getattr(obj, column.key)

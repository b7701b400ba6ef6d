"""The unit filter of the secretariat's lists (备案总览, 申报总览, 形式审查): candidates while typing a name or
credit code, and what the chosen or typed unit means for the list."""
from sqlalchemy import func, or_

from app.accounts.models import Unit
from app.core.extensions import db
from app.core.pagination import like_pattern

UNIT_OPTIONS = 10  # candidates shown while typing


def exact_unit_ids(text):
    """A select of the ids of the units whose credit code or full name is exactly `text`."""
    return db.select(Unit.id).where(or_(Unit.credit_code == text.upper(), Unit.name == text))


def unit_options(text, condition, limit=UNIT_OPTIONS):
    """Up to `limit` units meeting `condition` whose name or credit code contains `text` (one query)."""
    if not text:
        return []
    pattern = like_pattern(text)
    return db.session.execute(
        db.select(Unit.id, Unit.name, Unit.credit_code)
        .where(or_(Unit.name.ilike(pattern, escape="\\"), Unit.credit_code.ilike(pattern.upper(), escape="\\")),
               condition)
        .order_by(Unit.name, Unit.id).limit(limit)).all()


def unit_filter_label(unit_id, unit_q):
    """(label, error) of a unit filter: the chosen unit's name, or why the typed text filters nothing."""
    if unit_id:
        name = db.session.scalar(db.select(Unit.name).where(Unit.id == unit_id))
        return (name, "") if name else (unit_q, "所选申报单位不存在，请重新输入并从候选中选择。")
    if unit_q:
        found = db.session.scalar(db.select(func.count()).select_from(exact_unit_ids(unit_q).subquery()))
        if not found:
            return unit_q, f"没有名称或统一社会信用代码为“{unit_q}”的申报单位，请从输入时出现的候选中选择。"
    return unit_q, ""

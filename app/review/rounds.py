"""评审轮次 and 评分表 (spec B2, B6, C-S6): rounds of a year with their times and rubrics; rubrics copied to a new
year and edited until a round that uses them has started (then they are frozen)."""
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

from flask import abort
from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from app.core import audit
from app.core.clock import CHINA, to_china, utcnow
from app.core.extensions import db
from app.core.validators import control_char_error
from app.review.models import (
    EXPERT_KINDS,
    STAGE_LABELS,
    STAGE_R1,
    ReviewRound,
    Rubric,
    RubricItem,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M"
LIMITS = {"name": 100, "item_name": 100, "item_method": 100, "item_content": 1000}
ITEM_LABELS = {"name": "评审项目", "method": "评审方法", "content": "评审内容", "points": "配分"}
MAX_ITEMS = 30
_POINTS = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


class ReviewError(Exception):
    """An action refused with a Chinese message."""


@dataclass
class Form:
    """A form's values as typed and its messages per field."""

    values: dict
    errors: dict = field(default_factory=dict)


# ---- rounds ------------------------------------------------------------------------------------------

def rounds(year):
    """The year's rounds with their rubrics, by kind and stage (two queries)."""
    select = (db.select(ReviewRound).where(ReviewRound.year == year)
              .options(selectinload(ReviewRound.rubric), selectinload(ReviewRound.innovative_rubric))
              .order_by(ReviewRound.kind, ReviewRound.stage))
    return db.session.execute(select).scalars().all()


def get_round_or_404(round_id):
    """A round by id, or 404."""
    found = db.session.get(ReviewRound, round_id)
    if found is None:
        abort(404)
    return found


def rubric_choices(year):
    """The year's rubrics for the round form's selects."""
    return db.session.execute(db.select(Rubric).where(Rubric.year == year).order_by(Rubric.code)).scalars().all()


def _local(value):
    return to_china(value).strftime(TIME_FORMAT) if value else ""


def round_form(review_round=None):
    """The form filled with a round's values (China time); empty for a new round."""
    if review_round is None:
        return Form(values={"kind": "group", "stage": STAGE_R1, "rubric_id": "", "innovative_rubric_id": "",
                            "starts_at": "", "ends_at": ""})
    return Form(values={"kind": review_round.kind, "stage": review_round.stage,
                        "rubric_id": str(review_round.rubric_id or ""),
                        "innovative_rubric_id": str(review_round.innovative_rubric_id or ""),
                        "starts_at": _local(review_round.starts_at), "ends_at": _local(review_round.ends_at)})


def _parse_time(text):
    """A datetime-local value in China time → naive UTC, or None."""
    try:
        local = datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        return None
    return local.replace(tzinfo=CHINA).astimezone(timezone.utc).replace(tzinfo=None)


def _rubric(text, year, kind, label, errors, name, required):
    if not text:
        if required:
            errors[name] = f"请选择{label}。"
        return None
    rubric = db.session.get(Rubric, int(text)) if text.isdecimal() and len(text) < 10 else None
    if rubric is None or rubric.year != year:
        errors[name] = f"{label}应为本年度的评分表。"
    elif not rubric.fits(kind):
        errors[name] = f"{label}“{rubric.name}”不适用于{EXPERT_KINDS[kind]}。"
    return rubric


def parse_round(data, year, review_round=None):
    """Check the round form: (Form, cleaned values or None). Kind and stage are fixed once a round exists."""
    keys = ("kind", "stage", "rubric_id", "innovative_rubric_id", "starts_at", "ends_at")
    form = Form(values={k: (data.get(k) or "").strip()[:40] for k in keys})
    values, errors = form.values, form.errors
    if review_round is not None:
        values["kind"], values["stage"] = review_round.kind, review_round.stage
    kind, stage = values["kind"], values["stage"]
    if kind not in EXPERT_KINDS:
        errors["kind"] = "请选择类型（小组成果或班组成果）。"
        kind = "group"
    if stage not in STAGE_LABELS:
        errors["stage"] = "请选择评审轮次。"
    elif review_round is None and db.session.execute(db.select(ReviewRound.id).where(
            ReviewRound.year == year, ReviewRound.kind == kind, ReviewRound.stage == stage)).first():
        errors["stage"] = f"{year}年度{EXPERT_KINDS[kind]}的{STAGE_LABELS[stage]}已存在。"
    rubric = _rubric(values["rubric_id"], year, kind, "评分表", errors, "rubric_id", True)
    innovative = None
    if kind == "group" and stage == STAGE_R1:
        innovative = _rubric(values["innovative_rubric_id"], year, kind, "创新型评分表", errors,
                             "innovative_rubric_id", False)
    else:
        values["innovative_rubric_id"] = ""
    starts, ends = (_parse_time(values[k]) if values[k] else None for k in ("starts_at", "ends_at"))
    for key, parsed, label in (("starts_at", starts, "开始时间"), ("ends_at", ends, "截止时间")):
        if not values[key]:
            errors[key] = f"请填写{label}。"
        elif parsed is None:
            errors[key] = f"{label}格式应为 年-月-日 时:分。"
    if starts and ends and ends <= starts:
        errors["ends_at"] = "截止时间应晚于开始时间。"
    if review_round is not None and review_round.has_started() and not errors and (
            rubric.id != review_round.rubric_id
            or (innovative.id if innovative else None) != review_round.innovative_rubric_id):
        errors["rubric_id"] = "评审已开始，不能更换评分表。"
    if errors:
        return form, None
    return form, {"kind": kind, "stage": stage, "rubric": rubric, "innovative_rubric": innovative,
                  "starts_at": starts, "ends_at": ends}


def _round_summary(review_round):
    return (f"{review_round.year}年度{review_round.kind_label}{review_round.stage_label}，评审时间"
            f"{_local(review_round.starts_at).replace('T', ' ')}至{_local(review_round.ends_at).replace('T', ' ')}")


def create_round(year, cleaned, actor):
    """Add a round (flushes)."""
    review_round = ReviewRound(year=year, kind=cleaned["kind"], stage=cleaned["stage"], rubric=cleaned["rubric"],
                               innovative_rubric=cleaned["innovative_rubric"], starts_at=cleaned["starts_at"],
                               ends_at=cleaned["ends_at"])
    db.session.add(review_round)
    db.session.flush()
    audit.record("review_round.create", f"新增评审轮次：{_round_summary(review_round)}", target=review_round,
                 detail={"rubric": cleaned["rubric"].code}, actor=actor)
    return review_round


def update_round(review_round, cleaned, actor):
    """Change a round's times and rubrics (flushes)."""
    before = _round_summary(review_round)
    review_round.rubric = cleaned["rubric"]
    review_round.innovative_rubric = cleaned["innovative_rubric"]
    review_round.starts_at, review_round.ends_at = cleaned["starts_at"], cleaned["ends_at"]
    db.session.flush()
    audit.record("review_round.update", f"修改评审轮次：{_round_summary(review_round)}", target=review_round,
                 detail={"before": before, "rubric": cleaned["rubric"].code}, actor=actor)


# ---- rubrics -----------------------------------------------------------------------------------------

def rubrics(year):
    """The year's rubrics with items and whether each is frozen (three queries)."""
    found = db.session.execute(db.select(Rubric).where(Rubric.year == year).options(selectinload(Rubric.items))
                               .order_by(Rubric.code)).scalars().all()
    return found, frozen_ids([r.id for r in found])


def frozen_ids(rubric_ids, now=None):
    """The ids among rubric_ids used by a round that has started or is locked (their 配分 can no longer change)."""
    if not rubric_ids:
        return set()
    now = now or utcnow()
    rows = db.session.execute(db.select(ReviewRound.rubric_id, ReviewRound.innovative_rubric_id).where(
        or_(ReviewRound.rubric_id.in_(rubric_ids), ReviewRound.innovative_rubric_id.in_(rubric_ids)),
        or_(ReviewRound.starts_at <= now, ReviewRound.is_locked.is_(True)))).all()
    return {rid for row in rows for rid in row if rid in set(rubric_ids)}


def is_frozen(rubric):
    """True once a round using the rubric has started."""
    return rubric.id in frozen_ids([rubric.id])


def get_rubric_or_404(rubric_id):
    """A rubric by id, or 404."""
    found = db.session.get(Rubric, rubric_id)
    if found is None:
        abort(404)
    return found


def copy_rubric(rubric, year, actor):
    """复制到新年度: the same code, name, kind and items for `year` (flushes); refused when the year has the code."""
    if not 2000 <= year <= 2100:
        raise ReviewError("请填写正确的年度。")
    if db.session.execute(db.select(Rubric.id).where(Rubric.code == rubric.code, Rubric.year == year)).first():
        raise ReviewError(f"{year}年度已有评分表{rubric.code}（{rubric.name}），未复制。")
    copy = Rubric(code=rubric.code, name=rubric.name, kind=rubric.kind, year=year, items=[
        RubricItem(seq=i.seq, name=i.name, method=i.method, content=i.content, max_points_c=i.max_points_c)
        for i in rubric.items])
    db.session.add(copy)
    db.session.flush()
    audit.record("rubric.copy", f"复制评分表：{rubric.year}年度{rubric.name}（{rubric.code}）到{year}年度",
                 target=copy, detail={"from": rubric.id}, actor=actor)
    return copy


def points_text(hundredths):
    """配分 as typed: 15, 8.5, 2.25."""
    return f"{Decimal(hundredths) / 100:.2f}".rstrip("0").rstrip(".")


def rubric_form(rubric):
    """The editor's values: the name and one row per item, plus blank rows to add items."""
    rows = [{"name": i.name, "method": i.method, "content": i.content, "points": points_text(i.max_points_c)}
            for i in rubric.items]
    rows += [{"name": "", "method": "", "content": "", "points": ""} for _ in range(3)]
    return Form(values={"name": rubric.name, "rows": rows, "total": points_text(rubric.total_c)})


def _rows_total(rows):
    """合计 of the rows' 配分 that read as numbers (what the page shows before and after a refused save)."""
    total = sum((Decimal(r["points"]) for r in rows if _POINTS.match(r["points"])), Decimal(0))
    return points_text(int(total * 100))


def parse_rubric(data):
    """Check the editor: (Form, cleaned or None); blank rows are dropped, each message names the row and field."""
    names, methods = data.getlist("item_name"), data.getlist("item_method")
    contents, points = data.getlist("item_content"), data.getlist("item_points")
    count = min(max(len(names), len(points)), MAX_ITEMS + 3)

    def at(values, i):
        return (values[i] if i < len(values) else "").strip()

    rows = [{"name": at(names, i), "method": at(methods, i), "content": at(contents, i), "points": at(points, i)}
            for i in range(count)]
    form = Form(values={"name": (data.get("name") or "").strip(), "rows": rows, "total": _rows_total(rows)})
    errors = form.errors
    if not form.values["name"]:
        errors["name"] = "请填写评分表名称。"
    elif problem := control_char_error(form.values["name"], "评分表名称"):
        errors["name"] = problem
    elif len(form.values["name"]) > LIMITS["name"]:
        errors["name"] = f"评分表名称不能超过{LIMITS['name']}字。"
    items = []
    for number, row in enumerate(rows, start=1):
        if not any(row.values()):
            continue
        seq = len(items) + 1
        if not row["name"]:
            errors[f"row{number}.name"] = f"第{seq}项请填写评审项目。"
        for key in ("name", "method", "content"):
            if problem := control_char_error(row[key], ITEM_LABELS[key]):
                errors[f"row{number}.{key}"] = f"第{seq}项的{problem}"
            elif len(row[key]) > LIMITS[f"item_{key}"]:
                errors[f"row{number}.{key}"] = f"第{seq}项的{ITEM_LABELS[key]}不能超过{LIMITS[f'item_{key}']}字。"
        hundredths = None
        if _POINTS.match(row["points"]):
            try:
                hundredths = int(Decimal(row["points"]) * 100)
            except InvalidOperation:
                hundredths = None
        if hundredths is None or not 0 < hundredths <= 10000:
            errors[f"row{number}.points"] = f"第{seq}项{row['name'] or ''}的配分应为大于0、不超过100的数，最多两位小数。"
        items.append({"seq": seq, "name": row["name"], "method": row["method"], "content": row["content"],
                      "max_points_c": hundredths})
    if not items:
        errors["items"] = "请至少填写一个评审项目。"
    elif len(items) > MAX_ITEMS:
        errors["items"] = f"评审项目不能超过{MAX_ITEMS}项。"
    if errors:
        return form, None
    return form, {"name": form.values["name"], "items": items}


def update_rubric(rubric, cleaned, actor):
    """Replace the rubric's name and items (flushes); refused once frozen."""
    if is_frozen(rubric):
        raise ReviewError("该评分表已被已开始的评审轮次使用，不能再修改。")
    before = [(i.name, i.max_points_c) for i in rubric.items]
    rubric.name = cleaned["name"]
    rubric.items.clear()
    db.session.flush()  # the old rows go before the new ones take their 序号
    rubric.items.extend(RubricItem(**item) for item in cleaned["items"])
    db.session.flush()
    total = sum(i["max_points_c"] for i in cleaned["items"])
    audit.record("rubric.update", f"修改评分表：{rubric.year}年度{rubric.name}（{rubric.code}），"
                 f"{len(cleaned['items'])}项，合计{points_text(total)}分", target=rubric,
                 detail={"before": before, "after": [(i["name"], i["max_points_c"]) for i in cleaned["items"]]},
                 actor=actor)

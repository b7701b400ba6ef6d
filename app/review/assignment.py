"""成果分组 (spec B4, C-S7): which 专业组 reviews each accepted declaration of a round; 自动分组 as a preview applied
only on confirmation, and manual moves.

自动分组 spreads the declarations of each 课题类型 round-robin over the groups (the least loaded group of that type
first, then the least loaded overall), so counts per group and per 课题类型 differ by at most one when 回避 allows.
A group is a candidate only while the declaration keeps at least 3 non-avoided experts there; among candidates
a group where no expert avoids the declaration is preferred; the most constrained declarations go first.
"""
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from flask import abort

from app.core import audit
from app.core.extensions import db
from app.declarations.models import STATUS_ACCEPTED, Declaration
from app.review import avoidance_records, results
from app.review.models import ReviewAssignment, ReviewGroup, ReviewGroupMember, ScoreItem, ScoreSheet
from app.review.rounds import ReviewError

MIN_EXPERTS = 3
NO_TOPIC = "—"
STALE_MESSAGE = "分组预览生成后，成果、专业组、评委或回避已有变化，请查看新的预览后再确认。"


class StalePreview(ReviewError):
    """The data changed between the preview and 确认分组."""


def has_scores(round_id, declaration_id):
    """True when an expert has saved a score for the declaration in the round."""
    select = db.select(ScoreItem.id).join(ScoreSheet, ScoreSheet.id == ScoreItem.sheet_id).where(
        ScoreSheet.round_id == round_id, ScoreSheet.declaration_id == declaration_id).limit(1)
    return db.session.execute(select).first() is not None


@dataclass
class Inputs:
    """Everything 自动分组 depends on, read in a fixed number of queries."""

    declarations: list
    groups: list  # [(group id, name)]
    members: dict  # group id -> set of expert ids
    avoided: set  # (declaration id, expert id) pairs
    current: dict  # declaration id -> group id

    def token(self):
        """A hash of the inputs: 确认分组 applies the preview only when it is unchanged."""
        data = {"d": [(d.id, d.topic_type) for d in self.declarations], "g": self.groups,
                "m": sorted((g, sorted(e)) for g, e in self.members.items()), "a": sorted(self.avoided),
                "c": sorted(self.current.items())}
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


@dataclass
class GroupStat:
    """A group's line of the preview."""

    id: int
    name: str
    experts: int
    count: int = 0
    by_topic: dict = field(default_factory=dict)
    avoidances: int = 0
    with_conflict: int = 0


@dataclass
class Plan:
    """The preview: each placed declaration's group, the unplaced ones with the reason, figures per group."""

    placed: dict  # declaration id -> group id
    unplaced: list  # [(DeclarationRow, reason)]
    stats: list  # [GroupStat]
    topics: list  # 课题类型 in order
    moved: int
    token: str


def read_inputs(review_round):
    """The round's declarations, groups, members, effective 回避 and current assignment."""
    declarations = avoidance_records.accepted_declarations(review_round)
    experts = avoidance_records.round_experts(review_round)
    groups = [tuple(row) for row in db.session.execute(
        db.select(ReviewGroup.id, ReviewGroup.name).where(ReviewGroup.round_id == review_round.id)
        .order_by(ReviewGroup.id)).all()]
    members = {gid: set() for gid, _ in groups}
    pairs = db.select(ReviewGroupMember.group_id, ReviewGroupMember.expert_id).where(
        ReviewGroupMember.round_id == review_round.id)
    for gid, expert_id in db.session.execute(pairs).all():
        members[gid].add(expert_id)
    avoided = avoidance_records.effective_pairs(review_round, declarations, experts)
    current = dict(db.session.execute(db.select(ReviewAssignment.declaration_id, ReviewAssignment.group_id)
                                      .where(ReviewAssignment.round_id == review_round.id)).all())
    return Inputs(declarations, groups, members, avoided, current)


def _topic(declaration):
    return declaration.topic_type or NO_TOPIC


def plan(inputs):
    """自动分组 of the inputs (pure, changes nothing)."""
    avoided_by = defaultdict(set)
    for declaration_id, expert_id in inputs.avoided:
        avoided_by[declaration_id].add(expert_id)
    group_ids = [gid for gid, _ in inputs.groups]
    topics = sorted({_topic(d) for d in inputs.declarations}, key=lambda t: (t == NO_TOPIC, t))
    per_topic = {(g, t): 0 for g in group_ids for t in topics}
    total = dict.fromkeys(group_ids, 0)
    order = {g: i for i, g in enumerate(group_ids)}
    placed, unplaced, options = {}, [], {}
    for d in inputs.declarations:
        mine = avoided_by.get(d.id, set())
        eligible = [g for g in group_ids if len(inputs.members[g] - mine) >= MIN_EXPERTS]
        clean = [g for g in eligible if not inputs.members[g] & mine]
        options[d.id] = (clean or eligible)
        if not eligible:
            unplaced.append((d, _why(inputs, group_ids, mine)))
    by_topic = defaultdict(list)
    for d in inputs.declarations:
        if options[d.id]:
            by_topic[_topic(d)].append(d)
    for topic in topics:
        for d in sorted(by_topic[topic], key=lambda x: (len(options[x.id]), x.decl_no, x.id)):
            group = min(options[d.id], key=lambda g: (per_topic[(g, topic)], total[g], order[g]))
            placed[d.id] = group
            per_topic[(group, topic)] += 1
            total[group] += 1
    stats = {gid: GroupStat(gid, name, len(inputs.members[gid])) for gid, name in inputs.groups}
    for d in inputs.declarations:
        group = placed.get(d.id)
        if group is None:
            continue
        stat = stats[group]
        stat.count += 1
        stat.by_topic[_topic(d)] = stat.by_topic.get(_topic(d), 0) + 1
        conflicts = len(inputs.members[group] & avoided_by.get(d.id, set()))
        stat.avoidances += conflicts
        stat.with_conflict += bool(conflicts)
    moved = sum(1 for d_id, g in placed.items() if inputs.current.get(d_id) != g)
    moved += sum(1 for d, _ in unplaced if d.id in inputs.current)
    return Plan(placed, unplaced, list(stats.values()), topics, moved, inputs.token())


def _why(inputs, group_ids, mine):
    if not group_ids:
        return "本轮还没有专业组。"
    if all(len(inputs.members[g]) < MIN_EXPERTS for g in group_ids):
        return f"各专业组的评委都不足{MIN_EXPERTS}人。"
    return f"回避后各专业组的有效评委都不足{MIN_EXPERTS}人（该成果有{len(mine)}位评委回避）。"


def _not_locked(review_round):
    if review_round.is_locked:
        raise ReviewError("评审轮次已锁定，不能更改分组。")


def preview(review_round):
    """The 自动分组 preview of the round (reads, changes nothing)."""
    return plan(read_inputs(review_round))


def apply(review_round, token, actor):
    """确认分组: store exactly the preview whose token is given (flushes); StalePreview when the data changed.

    The automatic 回避 the preview counted are stored first (重新检查回避); unplaced declarations lose their group.
    """
    _not_locked(review_round)
    inputs = read_inputs(review_round)
    if not token or token != inputs.token():
        raise StalePreview(STALE_MESSAGE)
    result = plan(inputs)
    locked = [d_id for d_id, g in result.placed.items()
              if inputs.current.get(d_id) not in (None, g) and has_scores(review_round.id, d_id)]
    if locked:
        raise ReviewError(f"有{len(locked)}项成果已有评分，不能更换专业组，未分组。")
    avoidance_records.recheck(review_round, actor)
    rows = {row.declaration_id: row for row in db.session.execute(
        db.select(ReviewAssignment).where(ReviewAssignment.round_id == review_round.id)).scalars()}
    for declaration_id, group_id in result.placed.items():
        row = rows.pop(declaration_id, None)
        if row is None:
            db.session.add(ReviewAssignment(round_id=review_round.id, group_id=group_id,
                                            declaration_id=declaration_id))
        elif row.group_id != group_id:
            row.group_id = group_id
    for row in rows.values():  # unplaced now, or no longer accepted
        db.session.delete(row)
    db.session.flush()
    results.recompute(review_round)
    audit.record("review_assignment.auto", f"自动分组：{review_round.year}年度{review_round.kind_label}"
                 f"{review_round.stage_label}，分组{len(result.placed)}项，未能分组{len(result.unplaced)}项，"
                 f"变动{result.moved}项", target=review_round,
                 detail={"placed": len(result.placed), "unplaced": len(result.unplaced),
                         "moved": result.moved},
                 actor=actor)
    return result


def get_accepted_or_404(review_round, declaration_id):
    """An accepted declaration of the round's year and kind, or 404."""
    declaration = db.session.get(Declaration, declaration_id)
    if (declaration is None or declaration.year != review_round.year or declaration.kind != review_round.kind
            or declaration.status != STATUS_ACCEPTED):
        abort(404)
    return declaration


def move(review_round, declaration, group_id, actor):
    """分配到专业组 / move a declaration to another group of the round (flushes); refused once it has scores.

    Returns a warning when the group leaves it fewer than 3 non-avoided experts ("" otherwise).
    """
    _not_locked(review_round)
    group = db.session.get(ReviewGroup, group_id) if group_id else None
    if group is None or group.round_id != review_round.id:
        raise ReviewError("请选择本轮的专业组。")
    row = db.session.execute(db.select(ReviewAssignment).where(
        ReviewAssignment.round_id == review_round.id,
        ReviewAssignment.declaration_id == declaration.id)).scalar()
    if row is not None and row.group_id == group.id:
        raise ReviewError(f"成果{declaration.decl_no}已在专业组“{group.name}”。")
    if row is not None and has_scores(review_round.id, declaration.id):
        raise ReviewError(f"成果{declaration.decl_no}已有评分，不能更换专业组。")
    before = row.group.name if row is not None else ""
    if row is None:
        row = ReviewAssignment(round_id=review_round.id, group_id=group.id, declaration_id=declaration.id)
        db.session.add(row)
    else:
        row.group_id = group.id
    db.session.flush()
    results.recompute(review_round, [declaration.id])
    audit.record("review_assignment.move", f"成果{declaration.decl_no}分配到专业组“{group.name}”"
                 + (f"（原为“{before}”）" if before else ""), target=declaration,
                 detail={"round_id": review_round.id, "group_id": group.id}, actor=actor)
    members = {m.expert_id for m in group.members}
    avoided = {e for d, e in avoidance_records.effective_pairs(review_round) if d == declaration.id}
    valid = len(members - avoided)
    if valid < MIN_EXPERTS:
        return f"注意：该成果在专业组“{group.name}”只有{valid}位有效评委（不足{MIN_EXPERTS}位），有效评委不足。"
    return ""


def assignment_rows(review_round, filters):
    """成果分组 list: each accepted declaration with its group and 有效评委数 (fixed number of queries)."""
    inputs = read_inputs(review_round)
    names = dict(inputs.groups)
    avoided_by = defaultdict(set)
    for declaration_id, expert_id in inputs.avoided:
        avoided_by[declaration_id].add(expert_id)
    rows = []
    keyword, topic, group = filters.get("q", ""), filters.get("topic", ""), filters.get("group", "")
    for d in inputs.declarations:
        gid = inputs.current.get(d.id)
        if keyword and all(keyword not in text for text in (d.decl_no, d.title, d.enterprise_name)):
            continue
        if topic and _topic(d) != topic:
            continue
        if group == "none" and gid is not None or group.isdecimal() and gid != int(group):
            continue
        valid = len(inputs.members[gid] - avoided_by.get(d.id, set())) if gid else None
        rows.append({"d": d, "group_id": gid, "group": names.get(gid, ""), "valid": valid,
                     "avoided": len(avoided_by.get(d.id, set()))})
    return rows, inputs

"""专业组管理 (spec B4, C-S7): the 专业组 of a round, their members from the 评委库 and one 组长 each.

An expert is in one group per round and only in rounds of a kind ticked for him or her; a group with members has
exactly one 组长 (the first member added, until another is chosen; the 组长 leaves last).
"""
from flask import abort
from sqlalchemy.orm import selectinload

from app.core import audit
from app.core.extensions import db
from app.core.validators import control_char_error
from app.review import results
from app.review.models import Expert, ReviewAssignment, ReviewGroup, ReviewGroupMember
from app.review.rounds import ReviewError

NAME_LIMIT = 50


def groups(review_round):
    """The round's groups with members, their experts and logins (four queries)."""
    select = (db.select(ReviewGroup).where(ReviewGroup.round_id == review_round.id)
              .options(selectinload(ReviewGroup.members).selectinload(ReviewGroupMember.expert)
                       .selectinload(Expert.user))
              .order_by(ReviewGroup.id))
    return db.session.execute(select).scalars().all()


def eligible_experts(review_round):
    """Enabled experts who review the round's kind and are in none of its groups (one query)."""
    taken = db.select(ReviewGroupMember.expert_id).where(ReviewGroupMember.round_id == review_round.id)
    candidates = db.session.execute(db.select(Expert).where(Expert.is_enabled.is_(True), Expert.id.not_in(taken))
                                    .order_by(Expert.name, Expert.id)).scalars().all()
    # `kinds` is a JSON list: filtered here, portable over SQLite and PostgreSQL.
    return [e for e in candidates if e.reviews(review_round.kind)]


def get_group_or_404(group_id):
    """A group by id, or 404."""
    group = db.session.get(ReviewGroup, group_id)
    if group is None:
        abort(404)
    return group


def get_member_or_404(group, member_id):
    """A member of this group by id, or 404 (a member of another group is not found here)."""
    member = db.session.get(ReviewGroupMember, member_id)
    if member is None or member.group_id != group.id:
        abort(404)
    return member


def create_group(review_round, name, actor):
    """Add a 专业组 to the round (flushes); the name is required and unique in the round."""
    name = (name or "").strip()
    if not name:
        raise ReviewError("请填写专业组名称。")
    if len(name) > NAME_LIMIT:
        raise ReviewError(f"专业组名称不能超过{NAME_LIMIT}字。")
    if problem := control_char_error(name, "专业组名称"):
        raise ReviewError(problem)
    if db.session.execute(db.select(ReviewGroup.id).where(ReviewGroup.round_id == review_round.id,
                                                          ReviewGroup.name == name)).first():
        raise ReviewError(f"本轮已有专业组“{name}”。")
    group = ReviewGroup(round=review_round, name=name)
    db.session.add(group)
    db.session.flush()
    audit.record("review_group.create", f"新增专业组：{review_round.year}年度{review_round.kind_label}"
                 f"{review_round.stage_label} {name}", target=group, actor=actor)
    return group


def delete_group(group, actor):
    """Remove a group without members and declarations (flushes)."""
    if group.members:
        raise ReviewError(f"专业组“{group.name}”还有评委，请先移出评委。")
    if db.session.execute(db.select(ReviewAssignment.id).where(ReviewAssignment.group_id == group.id)).first():
        raise ReviewError(f"专业组“{group.name}”还有成果，请先将成果分配到其他专业组。")
    audit.record("review_group.delete", f"删除专业组：{group.name}", target=group, actor=actor)
    db.session.delete(group)
    db.session.flush()


def add_member(group, expert_id, actor, leader=False):
    """Put an expert of the pool into the group (flushes); the first member becomes the 组长."""
    review_round = group.round
    expert = db.session.get(Expert, expert_id) if expert_id else None
    if expert is None:
        raise ReviewError("请选择评委。")
    if not expert.is_enabled:
        raise ReviewError(f"评委{expert.name}已停用，不能加入专业组。")
    if not expert.reviews(review_round.kind):
        raise ReviewError(f"评委{expert.name}的评审类型不含{review_round.kind_label}，不能加入本轮专业组。")
    other = db.session.execute(db.select(ReviewGroup.name).join(ReviewGroupMember).where(
        ReviewGroupMember.round_id == review_round.id, ReviewGroupMember.expert_id == expert.id)).scalar()
    if other is not None:
        raise ReviewError(f"评委{expert.name}已在本轮的专业组“{other}”中，每位评委每轮只能在一个专业组。")
    first = not group.members
    member = ReviewGroupMember(group=group, round_id=review_round.id, expert=expert, is_leader=False)
    db.session.add(member)
    db.session.flush()
    audit.record("review_group.member_add", f"专业组“{group.name}”加入评委{expert.name}", target=group,
                 detail={"expert_id": expert.id}, actor=actor)
    _recompute(group)
    if first or leader:
        set_leader(group, member, actor)
    return member


def set_leader(group, member, actor):
    """Make the member the group's only 组长 (flushes the old 组长 off first: the database allows one)."""
    if member.is_leader:
        return
    for other in group.members:
        if other.is_leader:
            other.is_leader = False
    db.session.flush()
    member.is_leader = True
    db.session.flush()
    audit.record("review_group.leader", f"专业组“{group.name}”的组长设为{member.expert.name}", target=group,
                 detail={"expert_id": member.expert_id}, actor=actor)


def remove_member(group, member, actor):
    """移出 an expert (flushes); the 组长 only when he or she is the last member."""
    if member.is_leader and len(group.members) > 1:
        raise ReviewError(f"{member.expert.name}是组长，请先将其他评委设为组长，再移出。")
    name = member.expert.name
    group.members.remove(member)
    db.session.flush()
    audit.record("review_group.member_remove", f"专业组“{group.name}”移出评委{name}", target=group,
                 detail={"expert_id": member.expert_id}, actor=actor)
    _recompute(group)


def _recompute(group):
    """The group's members changed: its declarations' means and 评分未完成 (expected count) change with them."""
    ids = db.session.execute(db.select(ReviewAssignment.declaration_id).where(
        ReviewAssignment.group_id == group.id)).scalars().all()
    if ids:
        results.recompute(group.round, ids)

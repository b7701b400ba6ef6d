"""The review records hold their rules: round status from times and lock, one group per expert per round,
at most one 组长 per group."""
from datetime import datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app.core.extensions import db
from app.review.models import ReviewGroupMember, ReviewRound


def test_round_status_from_times_and_lock():
    r = ReviewRound(starts_at=datetime(2027, 6, 1, 1, 0), ends_at=datetime(2027, 6, 30, 15, 59), is_locked=False)
    assert r.status_label(datetime(2027, 6, 1, 0, 59)) == "未开始"
    assert r.status_label(datetime(2027, 6, 1, 1, 0)) == "进行中"
    assert r.status_label(datetime(2027, 6, 30, 15, 59)) == "进行中"
    assert r.status_label(datetime(2027, 6, 30, 16, 0)) == "已截止"
    r.is_locked = True
    assert r.status_label(datetime(2027, 6, 15)) == "已锁定" and r.has_started(datetime(2027, 1, 1))


def test_one_group_per_expert_per_round_and_one_leader(app, review):
    round_id = review.round()
    a, b = review.expert(), review.expert()
    first = review.group(round_id, "第一组", [a])
    second = review.group(round_id, "第二组")
    with app.app_context():
        db.session.add(ReviewGroupMember(group_id=second, round_id=round_id, expert_id=a))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(ReviewGroupMember(group_id=first, round_id=round_id, expert_id=b, is_leader=True))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        db.session.add(ReviewGroupMember(group_id=first, round_id=round_id, expert_id=b, is_leader=False))
        db.session.flush()
        db.session.commit()
    # The same expert may be in a group of another round.
    other_round = review.round(stage="R2", rubric="FB")
    review.group(other_round, "决赛组", [a])

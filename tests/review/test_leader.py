"""The expert side that follows scoring (spec B7 rules 5–7 and 10, B10, B15, C-E4, D23–D25): submission
bookkeeping and round means, 撤回 refused after 组长确认, the 组长's tab 本组情况 with the 专家组意见表,
组长确认 and its print page, and 申请回避."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import AuditLog, OutboxMail
from app.declarations.models import Declaration
from app.review import results
from app.review.models import (
    Avoidance,
    Expert,
    ExpertRoundStatus,
    GroupConfirmation,
    ReviewAssignment,
    ReviewRound,
    RoundResult,
)
from app.secretariat.labels import ACTION_LABELS
from tests.conftest import AuthActions


def _setup(app, review, count=2, experts=3):
    round_id = review.round(started=True)
    ids = [review.expert(f"专家{'甲乙丙丁戊'[n]}") for n in range(experts)]
    group = review.group(round_id, "第一组", ids)
    declarations = review.declarations(count, units=1, topic=lambda i: "问题解决型")
    with app.app_context():
        for d in declarations:
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group, declaration_id=d))
        db.session.commit()
        users = [db.session.get(Expert, e).user_id for e in ids]
        items = [(i.id, i.max_points_c) for i in db.session.get(ReviewRound, round_id).rubric.items]
        numbers = {d: db.session.get(Declaration, d).decl_no for d in declarations}
    clients = []
    for user_id in users:
        client = app.test_client()
        AuthActions(app).login(client, SimpleNamespace(id=user_id))
        clients.append(client)
    return SimpleNamespace(round_id=round_id, experts=ids, group=group, declarations=declarations,
                           users=users, items=items, clients=clients, numbers=numbers)


def _form(s, total):
    """Every item at its 配分 except the first, lowered so that the sheet totals `total` (≥ 85)."""
    first_id, first_max = s.items[0]
    form = {f"item_{i}": str(m / 100) for i, m in s.items}
    form[f"item_{first_id}"] = str((first_max - (10000 - int(total * 100))) / 100)
    return form


def _score(s, expert, totals):
    client = s.clients[expert]
    for d, total in zip(s.declarations, totals):
        url = f"/review/rounds/{s.round_id}/declarations/{d}"
        assert client.post(url, data=_form(s, total)).status_code == 302


def _submit(s, expert):
    return s.clients[expert].post(f"/review/rounds/{s.round_id}/submit", follow_redirects=True)


def _withdraw(s, expert):
    return s.clients[expert].post(f"/review/rounds/{s.round_id}/withdraw", follow_redirects=True)


def _group_url(s, suffix=""):
    return f"/review/rounds/{s.round_id}/group{suffix}"


def _all_submit(s, totals_by_expert):
    for expert, totals in enumerate(totals_by_expert):
        _score(s, expert, totals)
        assert "最终打分结果" in _submit(s, expert).text


def _result(app, s, d):
    with app.app_context():
        row = db.session.execute(db.select(RoundResult).where(
            RoundResult.round_id == s.round_id, RoundResult.declaration_id == d)).scalar()
        return None if row is None else SimpleNamespace(
            mean_c=row.mean_c, valid=row.valid_count, expected=row.expected_count, level=row.suggested_level,
            opinion=row.group_opinion)


def _status(app, s, expert):
    with app.app_context():
        row = db.session.execute(db.select(ExpertRoundStatus).where(
            ExpertRoundStatus.round_id == s.round_id,
            ExpertRoundStatus.expert_id == s.experts[expert])).scalar()
        return None if row is None else row.submitted_at


def _actions(app):
    with app.app_context():
        return list(db.session.execute(db.select(AuditLog.action).order_by(AuditLog.id)).scalars())


# ---- submission bookkeeping --------------------------------------------------------------------

def test_submit_records_the_status_and_recomputes_withdraw_clears_both(app, review):
    s = _setup(app, review, 2)
    _score(s, 0, [90, 88])
    assert _status(app, s, 0) is None and _result(app, s, s.declarations[0]) is None
    _submit(s, 0)
    assert _status(app, s, 0) is not None
    first = _result(app, s, s.declarations[0])
    assert (first.mean_c, first.valid, first.expected) == (9000, 1, 3)
    assert _result(app, s, s.declarations[1]).mean_c == 8800
    _score(s, 1, [86, 87])
    _submit(s, 1)
    assert _result(app, s, s.declarations[0]).mean_c == 8800  # (90 + 86) / 2
    assert "已撤回打分提交" in _withdraw(s, 0).text
    assert _status(app, s, 0) is None
    assert (_result(app, s, s.declarations[0]).mean_c, _result(app, s, s.declarations[0]).valid) == (8600, 1)
    assert _actions(app).count("score.withdraw") == 1


def test_withdraw_is_refused_once_the_leader_confirmed(app, review):
    s = _setup(app, review, 1)
    _all_submit(s, [[90], [91], [92]])
    leader = s.clients[0]
    response = leader.post(_group_url(s, "/confirm"), data={f"level_{s.declarations[0]}": "一等"},
                           follow_redirects=True)
    assert "已确认本组评审结果" in response.text
    refused = _withdraw(s, 1)
    assert "组长已确认本组评审结果，不能撤回打分提交。" in refused.text
    assert _status(app, s, 1) is not None
    assert "组长已确认本组评审结果" in _withdraw(s, 0).text  # the 组长 too


def test_withdraw_is_refused_after_the_round_closes(app, review):
    s = _setup(app, review, 1)
    _score(s, 0, [90])
    _submit(s, 0)
    with app.app_context():
        db.session.get(ReviewRound, s.round_id).ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "评审已截止，不能撤回打分提交。" in _withdraw(s, 0).text
    assert _status(app, s, 0) is not None


# ---- 本组情况 ---------------------------------------------------------------------------------------

def test_group_tab_is_the_leaders_only(app, review, auth):
    s = _setup(app, review, 1)
    member = s.clients[1]
    assert "本组情况" in s.clients[0].get("/review/").text
    assert "本组情况" not in member.get("/review/").text
    for method, suffix in (("GET", ""), ("POST", ""), ("POST", "/confirm"), ("GET", "/print")):
        assert member.open(_group_url(s, suffix), method=method).status_code == 403, suffix
    # the leader of another group of the same round sees his own group only; of another round: 404
    outsider = review.expert("外组组长")
    other_group = review.group(s.round_id, "第二组", [outsider])
    (foreign,) = review.declarations(1, units=1)
    other_round = review.round(stage="R2", rubric="FB", started=True)
    stranger = review.expert("他轮组长")
    review.group(other_round, "第三组", [stranger])
    with app.app_context():
        db.session.add(ReviewAssignment(round_id=s.round_id, group_id=other_group, declaration_id=foreign))
        db.session.commit()
        outsider_user = db.session.get(Expert, outsider).user_id
        stranger_user = db.session.get(Expert, stranger).user_id
    other, far = app.test_client(), app.test_client()
    auth.login(other, SimpleNamespace(id=outsider_user))
    auth.login(far, SimpleNamespace(id=stranger_user))
    page = other.get(_group_url(s)).text
    assert "外组组长" in page and "专家甲" not in page
    for method, suffix in (("GET", ""), ("POST", ""), ("POST", "/confirm"), ("GET", "/print")):
        assert far.open(_group_url(s, suffix), method=method).status_code == 404, suffix


def test_group_tab_shows_progress_but_no_scores_until_all_submitted(app, review):
    s = _setup(app, review, 2)
    _score(s, 0, [93.17, 88])
    _submit(s, 0)
    _score(s, 1, [91.42])  # one of two
    page = s.clients[0].get(_group_url(s)).text
    assert "专家名称" in page and "已评数" in page and "提交状态" in page
    assert "2 / 2" in page and "1 / 2" in page and "0 / 2" in page
    assert page.count("已提交") == 1 and page.count("未提交") == 2
    assert "93.17" not in page and "91.42" not in page and "opinion-table" not in page
    assert s.clients[0].post(_group_url(s), data={}).status_code == 409
    print_page = s.clients[0].get(_group_url(s, "/print"), follow_redirects=True)
    assert "本组专家尚未全部提交打分" in print_page.text


def test_opinion_table_shows_means_and_shared_ranks_after_all_submitted(app, review):
    s = _setup(app, review, 3)
    _all_submit(s, [[90, 90, 85], [95, 90, 86], [85, 90, 87]])
    page = s.clients[0].get(_group_url(s)).text
    for label in ("序号", "专业组", "申报编号", "成果名称", "小组名称", "企业名称", "申报单位", "成果类型", "等级分",
                  "排名", "建议等级", "专家组意见", "组长确认", "打印专家组意见表"):
        assert label in page, label
    assert page.count("90.00") == 2 and "86.00" in page
    assert "95.00" not in page and "85.00" not in page  # no member's total
    with app.app_context():
        from app.review.leader import overview
        from app.review.models import ReviewGroup

        view = overview(db.session.get(ReviewRound, s.round_id), db.session.get(ReviewGroup, s.group))
        assert [(r.mean_c, r.rank) for r in view.rows] == [(9000, 1), (9000, 1), (8600, 3)]
        assert view.rows[2].kind_text == "问题解决型"


def test_opinions_are_validated_saved_and_kept_by_recompute(app, review):
    s = _setup(app, review, 2)
    _all_submit(s, [[90, 88], [91, 87], [92, 86]])
    first, second = s.declarations
    leader = s.clients[0]
    bad = leader.post(_group_url(s), data={f"level_{first}": "特等", f"opinion_{first}": "好\x07",
                                           f"level_{second}": "二等", f"opinion_{second}": "长" * 501})
    assert bad.status_code == 422
    assert "请选择建议等级" in bad.text and "控制字符" in bad.text and "不能超过500字" in bad.text
    assert "长" * 501 in bad.text  # typed values are kept
    assert _result(app, s, first).level == ""
    good = leader.post(_group_url(s), data={f"level_{first}": "一等", f"opinion_{first}": "选题新颖，效果显著。",
                                            f"level_{second}": "", f"opinion_{second}": ""},
                       follow_redirects=True)
    assert "已保存专家组意见（修改1项）" in good.text and "选题新颖，效果显著。" in good.text
    with app.app_context():
        results.recompute(db.session.get(ReviewRound, s.round_id))
        db.session.commit()
    kept = _result(app, s, first)
    assert (kept.level, kept.opinion) == ("一等", "选题新颖，效果显著。")
    assert "review_group.opinions" in _actions(app) and "review_group.opinions" in ACTION_LABELS


def test_confirm_needs_every_level_and_every_submission_then_is_read_only(app, review):
    s = _setup(app, review, 2)
    _all_submit(s, [[90, 88], [91, 87], [92, 86]])
    first, second = s.declarations
    leader = s.clients[0]
    missing = leader.post(_group_url(s, "/confirm"), data={f"level_{first}": "一等", f"level_{second}": ""})
    assert missing.status_code == 409 and "以下成果尚未选择建议等级" in missing.text
    assert f"请选择后再确认：{s.numbers[second]}" in missing.text and "、" not in missing.text.split("再确认：")[1][:30]
    _withdraw(s, 2)
    waiting = leader.post(_group_url(s, "/confirm"), data={f"level_{first}": "一等", f"level_{second}": "二等"})
    assert waiting.status_code == 409 and "本组专家尚未全部提交打分" in waiting.text
    _submit(s, 2)
    done = leader.post(_group_url(s, "/confirm"), data={f"level_{first}": "一等", f"level_{second}": "二等"},
                       follow_redirects=True)
    assert "已确认本组评审结果" in done.text and "组长已确认" in done.text
    assert "<select" not in done.text and "组长确认</button>" not in done.text
    with app.app_context():
        row = db.session.get(GroupConfirmation, s.group)
        assert row is not None and row.round_id == s.round_id
    assert (_result(app, s, first).level, _result(app, s, second).level) == ("一等", "二等")
    again = leader.post(_group_url(s), data={f"level_{first}": "三等"})
    assert again.status_code == 409 and "本组评审结果已由组长确认" in again.text
    assert leader.post(_group_url(s, "/confirm"), data={}).status_code == 409
    assert _result(app, s, first).level == "一等"
    assert {"review_group.confirm", "review_group.opinions"} <= set(ACTION_LABELS)
    assert _actions(app).count("review_group.confirm") == 1


def test_print_page_has_the_table_as_text_and_signature_lines(app, review):
    s = _setup(app, review, 2)
    _all_submit(s, [[90, 88], [91, 87], [92, 86]])
    s.clients[0].post(_group_url(s), data={f"level_{s.declarations[0]}": "一等",
                                           f"opinion_{s.declarations[0]}": "<b>推荐</b>"})
    page = s.clients[0].get(_group_url(s, "/print"))
    assert page.status_code == 200
    for text in ("专家组意见表", "第一组", s.numbers[s.declarations[0]], "91.00", "87.00", "一等",
                 "&lt;b&gt;推荐&lt;/b&gt;", "专家组成员签字", "组长签字", "组长尚未确认", "data-print"):
        assert text in page.text, text


# ---- 申请回避 ----------------------------------------------------------------------------------------

def _avoid_url(s, d=None):
    return f"/review/rounds/{s.round_id}/declarations/{d or s.declarations[0]}/avoid"


@pytest.mark.parametrize("reason, message", [
    ("", "请填写回避原因。"), ("  ", "请填写回避原因。"), ("长" * 201, "回避原因不能超过200字。"),
    ("亲属\x01关系", "控制字符")])
def test_avoid_reason_is_required_short_and_clean(app, review, reason, message):
    s = _setup(app, review, 1)
    response = s.clients[1].post(_avoid_url(s), data={"reason": reason})
    assert response.status_code == 422 and message in response.text
    if len(reason) > 200:
        assert reason in response.text  # typed value kept
    with app.app_context():
        assert db.session.execute(db.select(Avoidance)).first() is None


def test_avoid_takes_effect_mails_the_secretariat_and_is_audited(app, review):
    s = _setup(app, review, 2)
    client = s.clients[1]
    listing = client.get("/review/").text
    assert listing.count("申请回避") == 2 and "已评 0 / 应评 2" in listing
    assert "回避原因" in client.get(_avoid_url(s)).text
    response = client.post(_avoid_url(s), data={"reason": "曾指导该小组活动"}, follow_redirects=True)
    assert "已申请回避成果" in response.text and "已评 0 / 应评 1" in response.text and "已回避" in response.text
    assert client.get(f"/review/rounds/{s.round_id}/declarations/{s.declarations[0]}").status_code == 403
    with app.app_context():
        row = db.session.execute(db.select(Avoidance)).scalar_one()
        assert (row.source, row.reason, row.round_id, row.expert_id) == ("self", "曾指导该小组活动", s.round_id,
                                                                         s.experts[1])
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        assert mail.recipient == app.config["SECRETARIAT_CONTACT"]["email"]
        assert s.numbers[s.declarations[0]] in mail.subject and "曾指导该小组活动" in mail.body
        assert "/admin/review/avoidances?round=" in mail.body
    assert _result(app, s, s.declarations[0]).expected == 2  # recomputed: one expert fewer
    assert "avoidance.self" in _actions(app) and "avoidance.self" in ACTION_LABELS
    # the avoided declaration no longer blocks the submission
    client.post(f"/review/rounds/{s.round_id}/declarations/{s.declarations[1]}", data=_form(s, 90))
    assert "已提交1项" in _submit(s, 1).text


def test_avoid_is_refused_after_submission_and_outside_the_group(app, review, auth):
    s = _setup(app, review, 1)
    _score(s, 0, [90])
    _submit(s, 0)
    assert "申请回避" not in s.clients[0].get("/review/").text
    refused = s.clients[0].post(_avoid_url(s), data={"reason": "同事关系"})
    assert refused.status_code == 409 and "已提交打分，不能申请回避" in refused.text
    (foreign,) = review.declarations(1, units=1)
    assert s.clients[1].post(_avoid_url(s, foreign), data={"reason": "同事关系"}).status_code == 404
    assert s.clients[1].post(_avoid_url(s), data={"reason": "同事关系"}, csrf=False).status_code in (400, 403)
    with app.app_context():
        db.session.get(ReviewRound, s.round_id).ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    closed = s.clients[1].post(_avoid_url(s), data={"reason": "同事关系"})
    assert closed.status_code == 409 and "不能申请回避" in closed.text
    with app.app_context():
        assert db.session.execute(db.select(Avoidance)).first() is None
        assert db.session.execute(db.select(OutboxMail)).first() is None


# ---- query count -----------------------------------------------------------------------------------

def test_group_tab_query_count_is_fixed(app, review, count_queries):
    s = _setup(app, review, 3)
    _all_submit(s, [[90, 88, 86], [91, 87, 85], [92, 86, 95]])

    def count():
        with count_queries() as statements:
            response = s.clients[0].get(_group_url(s))
        assert response.status_code == 200
        return len(statements), response.text

    few, text = count()
    assert "等级分" in text and text.count("请选择</option>") == 3
    more = review.declarations(297, units=2, topic=lambda i: "创新型")
    with app.app_context():
        for d in more:
            db.session.add(ReviewAssignment(round_id=s.round_id, group_id=s.group, declaration_id=d))
        db.session.commit()
    many, text = count()
    assert "3 / 300" in text and "等级分" in text and text.count("请选择</option>") == 300
    assert many == few

"""评审进度 (spec C-S9, B7 rule 8, B13, B15): the secretariat's list of experts with counts and submission, 查看打分
(read-only), 驳回 with a reason and a mail, 导出打分表 (专家打分情况 xlsx); permissions and fixed query counts."""
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from PIL import Image

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import AuditLog, OutboxMail
from app.declarations.models import Declaration
from app.review.models import (
    Avoidance,
    Expert,
    ExpertRoundStatus,
    GroupConfirmation,
    ReviewAssignment,
    ReviewRound,
    RoundResult,
    ScoreSheet,
)
from app.secretariat.labels import ACTION_LABELS
from tests.conftest import deliver_to


class Setup(SimpleNamespace):
    """A started round, one group of three experts, declarations assigned to it."""


def _setup(app, review, count=2, topic=None, experts=3, innovative=False):
    extra = {"innovative_rubric_id": review.rubrics()["QC-IN"]} if innovative else {}
    round_id = review.round(started=True, **extra)
    expert_ids = [review.expert(f"专家{'甲乙丙丁戊'[n]}") for n in range(experts)]
    group = review.group(round_id, "第一组", expert_ids)
    declarations = review.declarations(count, units=1, topic=topic or (lambda i: "问题解决型"))
    with app.app_context():
        for d in declarations:
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group, declaration_id=d))
        db.session.commit()
        users = {e: db.session.get(Expert, e).user_id for e in expert_ids}
        review_round = db.session.get(ReviewRound, round_id)
        items = {r.id: [(i.id, i.max_points_c) for i in r.items]
                 for r in (review_round.rubric, review_round.innovative_rubric) if r is not None}
        topics = {d: db.session.get(Declaration, d).topic_type for d in declarations}
    return Setup(round_id=round_id, experts=expert_ids, group=group, declarations=declarations, users=users,
                 items=items, topics=topics, rubric_id=review.rubrics())


def _expert_client(app, auth, s, index=0):
    client = app.test_client()
    auth.login(client, SimpleNamespace(id=s.users[s.experts[index]]))
    return client


def _full_form(app, s, declaration_id, less=0):
    """Every item at its 配分 less `less` hundredths on the first item."""
    with app.app_context():
        review_round = db.session.get(ReviewRound, s.round_id)
        items = [(i.id, i.max_points_c) for i in review_round.rubric_for(s.topics[declaration_id]).items]
    form = {f"item_{i}": str(m / 100) for i, m in items}
    form[f"item_{items[0][0]}"] = str((items[0][1] - less) / 100)
    form.update(comment="思路清晰，数据翔实", level="优秀")
    return form


def _score_and_submit(app, auth, s, index=0, less=0):
    client = _expert_client(app, auth, s, index)
    for d in s.declarations:
        url = f"/review/rounds/{s.round_id}/declarations/{d}"
        assert client.post(url, data=_full_form(app, s, d, less)).status_code == 302
    response = client.post(f"/review/rounds/{s.round_id}/submit", follow_redirects=True)
    assert "最终打分结果" in response.text
    return client


def _sheets(app, s, index=0):
    with app.app_context():
        return [(row.status, row.submitted_at) for row in db.session.execute(db.select(ScoreSheet).where(
            ScoreSheet.round_id == s.round_id, ScoreSheet.expert_id == s.experts[index])).scalars()]


def _reject_url(s, index=0):
    return f"/admin/review/rounds/{s.round_id}/progress/{s.experts[index]}/reject"


def test_progress_lists_each_expert_with_counts_and_state(app, admin_client, auth, review):
    s = _setup(app, review, 3)
    with app.app_context():
        db.session.add(Avoidance(declaration_id=s.declarations[2], expert_id=s.experts[1], year=review.year(),
                                 round_id=s.round_id, source="manual", reason="曾指导该小组"))
        db.session.commit()
    _score_and_submit(app, auth, s, 0)
    client = _expert_client(app, auth, s, 1)
    client.post(f"/review/rounds/{s.round_id}/declarations/{s.declarations[0]}",
                data=_full_form(app, s, s.declarations[0]))
    page = admin_client.get(f"/admin/review/progress?round={s.round_id}")
    assert page.status_code == 200
    text = page.text
    for label in ("专家名称", "专业组", "应评数", "已评数", "回避数", "提交状态", "提交时间", "查看打分", "导出打分表"):
        assert label in text
    rows = text.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    first = next(r for r in rows if "专家甲" in r)
    second = next(r for r in rows if "专家乙" in r)
    third = next(r for r in rows if "专家丙" in r)
    nums = lambda row: [c.split(">")[1].split("<")[0] for c in row.split('<td class="num"')[1:]]  # noqa: E731
    assert nums(first) == ["3", "3", "0"] and "已提交" in first and "驳回" in first
    assert nums(second) == ["2", "1", "1"] and "未提交" in second and "驳回" not in second
    assert nums(third) == ["3", "0", "0"] and "未提交" in third
    filtered = admin_client.get(f"/admin/review/progress?round={s.round_id}&state=submitted").text
    assert "专家甲" in filtered and "专家乙" not in filtered
    assert "专家乙" in admin_client.get(f"/admin/review/progress?round={s.round_id}&q=乙").text


def test_view_scores_is_read_only(app, admin_client, auth, review):
    s = _setup(app, review, 2, topic=lambda i: ("问题解决型", "创新型")[i])
    _score_and_submit(app, auth, s, 0, less=150)
    page = admin_client.get(f"/admin/review/rounds/{s.round_id}/progress/{s.experts[0]}")
    assert page.status_code == 200
    assert "<textarea" not in page.text and 'name="item_' not in page.text
    assert "98.5" in page.text and "思路清晰，数据翔实" in page.text and "优秀" in page.text
    assert "总体评价" in page.text and "推荐意见等级" in page.text and "已提交" in page.text
    # The secretariat has no route that saves scores: the expert's save route refuses the role.
    url = f"/review/rounds/{s.round_id}/declarations/{s.declarations[0]}"
    assert admin_client.post(url, data=_full_form(app, s, s.declarations[0])).status_code == 403


def test_reject_reopens_the_expert_and_mails(app, admin_client, auth, review, smtp_server):
    s = _setup(app, review, 2)
    for index in range(3):
        _score_and_submit(app, auth, s, index, less=index * 100)
    with app.app_context():
        db.session.add(GroupConfirmation(group_id=s.group, round_id=s.round_id, confirmed_at=utcnow()))
        db.session.commit()
        from app.review import results
        results.recompute(db.session.get(ReviewRound, s.round_id))
        db.session.commit()
        before = db.session.execute(db.select(RoundResult.valid_count)).scalars().all()
    assert before == [3, 3]
    response = admin_client.post(_reject_url(s), data={"reason": "第2项打分明显偏高，请复核"},
                                 headers={"HX-Request": "true"})
    assert response.status_code == 204 and "/admin/review/progress" in response.headers["HX-Redirect"]
    assert "驳回成功，该专家可重新修改并提交打分" in admin_client.get(response.headers["HX-Redirect"]).text
    assert all(status == "draft" and at is None for status, at in _sheets(app, s, 0))
    assert all(status == "submitted" for status, _at in _sheets(app, s, 1))
    with app.app_context():
        state = db.session.execute(db.select(ExpertRoundStatus).where(
            ExpertRoundStatus.expert_id == s.experts[0])).scalar_one()
        assert state.submitted_at is None and state.reopened_at
        assert state.reopen_reason == "第2项打分明显偏高，请复核" and state.reopened_by_id == admin_client.user.id
        assert db.session.get(GroupConfirmation, s.group) is None
        assert db.session.execute(db.select(RoundResult.valid_count)).scalars().all() == [2, 2]
        entry = db.session.execute(db.select(AuditLog).where(AuditLog.action == "score.reject")).scalar_one()
        assert "专家甲" in entry.summary and "第2项打分明显偏高" in entry.summary
        assert {"score.reject", "score.export"} <= set(ACTION_LABELS)
        mail = db.session.execute(db.select(OutboxMail)).scalar_one()
        expert_email = db.session.get(Expert, s.experts[0]).email
    assert mail.recipient == expert_email
    assert deliver_to(app, smtp_server) == 1
    message = smtp_server.messages[0]
    assert message["To"] == expert_email and "打分被驳回" in message["Subject"]
    body = message.get_content()
    assert "驳回原因：第2项打分明显偏高，请复核" in body and "资料评审（初评）" in body
    # The expert sees why, edits again and resubmits through the usual service.
    client = _expert_client(app, auth, s, 0)
    listing = client.get(f"/review/?round={s.round_id}").text
    assert "驳回了您的打分提交，原因：第2项打分明显偏高，请复核" in listing and "提交最终打分结果" in listing
    url = f"/review/rounds/{s.round_id}/declarations/{s.declarations[0]}"
    assert client.post(url, data=_full_form(app, s, s.declarations[0], less=500)).status_code == 302
    assert "已提交2项" in client.post(f"/review/rounds/{s.round_id}/submit", follow_redirects=True).text
    assert all(status == "submitted" for status, _at in _sheets(app, s, 0))
    assert "已提交" in admin_client.get(f"/admin/review/progress?round={s.round_id}").text
    assert 'id="reopened"' not in client.get(f"/review/?round={s.round_id}").text


@pytest.mark.parametrize("reason, message", [
    ("", "请填写驳回原因。"), ("  ", "请填写驳回原因。"), ("很" * 501, "驳回原因不能超过500字。"),
    ("原因\x07", "驳回原因含有不可见的控制字符")])
def test_reject_reason_is_checked_and_kept(app, admin_client, auth, review, reason, message):
    s = _setup(app, review, 1)
    _score_and_submit(app, auth, s, 0)
    response = admin_client.post(_reject_url(s), data={"reason": reason}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and message in response.text
    assert 'id="e-reason"' in response.text
    if reason.strip():
        assert reason.replace("\x07", "&#7;")[:20] in response.text or reason[:20] in response.text
    assert all(status == "submitted" for status, _at in _sheets(app, s, 0))


def test_reject_is_refused_when_not_submitted_closed_or_locked(app, admin_client, auth, review):
    s = _setup(app, review, 1)
    response = admin_client.post(_reject_url(s), data={"reason": "复核"})
    assert response.status_code == 422 and "该专家尚未提交打分，无需驳回。" in response.text
    _score_and_submit(app, auth, s, 0)
    with app.app_context():
        db.session.get(ReviewRound, s.round_id).ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "评审已截止，驳回后专家也无法修改" in admin_client.get(_reject_url(s)).text
    response = admin_client.post(_reject_url(s), data={"reason": "复核"})
    assert response.status_code == 422
    assert "评审已截止，驳回后专家也无法修改，请先延长截止时间。" in response.text and "复核" in response.text
    with app.app_context():
        row = db.session.get(ReviewRound, s.round_id)
        row.ends_at, row.is_locked = utcnow() + timedelta(days=1), True
        db.session.commit()
    response = admin_client.post(_reject_url(s), data={"reason": "复核"})
    assert response.status_code == 422 and "评审已锁定，不能驳回。" in response.text
    assert all(status == "submitted" for status, _at in _sheets(app, s, 0))
    with app.app_context():
        assert not db.session.execute(db.select(AuditLog).where(AuditLog.action == "score.reject")).first()
        assert not db.session.execute(db.select(OutboxMail)).first()


def _png(path):
    Image.new("RGB", (300, 100), (20, 20, 160)).save(path, "PNG")


def test_export_reads_back_with_items_totals_signature_and_time(app, admin_client, auth, review):
    s = _setup(app, review, 2, topic=lambda i: ("问题解决型", "创新型")[i], innovative=True)
    with app.app_context():
        db.session.get(Declaration, s.declarations[0]).title = "=HYPERLINK(\"http://x\")降低能耗"
        db.session.commit()
    url = f"/admin/review/rounds/{s.round_id}/progress/{s.experts[0]}/export"
    unsigned = load_workbook(io.BytesIO(admin_client.get(url).data))
    assert all(not sheet._images for sheet in unsigned.worksheets)
    _score_and_submit(app, auth, s, 0, less=150)
    # A signature, stored as the 评委管理 page stores it.
    from app.core import uploads
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (20, 20, 160)).save(buffer, "PNG")
    with app.test_request_context():
        stored = uploads.store(buffer.getvalue(), "png", "签名.png", "signature")
        db.session.get(Expert, s.experts[0]).signature_file_id = stored.id
        db.session.commit()
    response = admin_client.get(url)
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert len(book.worksheets) == 2  # 问题解决型 and 创新型 have their own rubrics
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[2]
    assert header[:5] == ["组内序号", "申报编号", "成果名称", "小组名称", "课题类型"]
    assert header[5] == "选题（15分）" and header[-1] == "总分"
    data = rows[3]
    assert data[0] == 1 and data[2] == "=HYPERLINK(\"http://x\")降低能耗"
    assert sheet.cell(row=4, column=3).data_type == "s"  # text, never a formula
    assert data[4] == "问题解决型" and float(data[5]) == 13.5 and float(data[-1]) == 98.5
    foot = [r for r in rows if r[0] in ("专家签名：", "时间：")]
    assert [r[0] for r in foot] == ["专家签名：", "时间："]
    with app.app_context():
        submitted = db.session.execute(db.select(ScoreSheet.submitted_at).where(
            ScoreSheet.expert_id == s.experts[0])).scalars().first()
    from app.core.template_helpers import china_time
    assert foot[1][1] == china_time(submitted, "%Y-%m-%d %H:%M")
    assert len(sheet._images) == 1
    second = [[c.value for c in row] for row in book.worksheets[1].iter_rows()]
    assert second[3][0] == 2 and second[3][4] == "创新型"
    with app.app_context():
        assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "score.export")).first()


def test_units_and_experts_get_403_and_wrong_ids_404(app, client, auth, make, review, admin_client):
    s = _setup(app, review, 1)
    other_round = review.round(kind="team", rubric="BZ", started=True)
    outsider = review.expert("局外人")
    base = f"/admin/review/rounds/{s.round_id}/progress/{s.experts[0]}"
    urls = [("GET", "/admin/review/progress"), ("GET", base), ("GET", base + "/reject"),
            ("POST", base + "/reject"), ("GET", base + "/export")]
    for user in (make.unit().user, make.expert()):
        other = app.test_client()
        auth.login(other, user)
        for method, url in urls:
            assert other.open(url, method=method, data={"reason": "x"}).status_code == 403, url
    expert_client = _expert_client(app, auth, s, 0)
    for method, url in urls:
        assert expert_client.open(url, method=method, data={"reason": "x"}).status_code == 403, url
    for wrong in (f"/admin/review/rounds/{other_round}/progress/{s.experts[0]}",
                  f"/admin/review/rounds/{s.round_id}/progress/{outsider}",
                  f"/admin/review/rounds/999999/progress/{s.experts[0]}"):
        for suffix in ("", "/reject", "/export"):
            assert admin_client.get(wrong + suffix).status_code == 404, wrong + suffix
        assert admin_client.post(wrong + "/reject", data={"reason": "x"}).status_code == 404


def test_reject_needs_csrf(app, admin_client, auth, review):
    s = _setup(app, review, 1)
    _score_and_submit(app, auth, s, 0)
    assert admin_client.post(_reject_url(s), data={"reason": "x"}, csrf=False).status_code in (400, 403)
    assert all(status == "submitted" for status, _at in _sheets(app, s, 0))


def _count(count_queries, client, url):
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response


def test_progress_and_view_query_counts_are_fixed(app, admin_client, auth, review, count_queries):
    s = _setup(app, review, 3)
    _score_and_submit(app, auth, s, 0)
    progress_url = f"/admin/review/progress?round={s.round_id}"
    view_url = f"/admin/review/rounds/{s.round_id}/progress/{s.experts[0]}"
    export_url = view_url + "/export"
    few = [_count(count_queries, admin_client, url)[0] for url in (progress_url, view_url, export_url)]
    more = review.declarations(297, units=2, topic=lambda i: "创新型")
    experts = [review.expert() for _ in range(297)]
    with app.app_context():
        for d in more:
            db.session.add(ReviewAssignment(round_id=s.round_id, group_id=s.group, declaration_id=d))
        db.session.commit()
    for g in range(9):
        review.group(s.round_id, f"组{g}", experts[g * 33:(g + 1) * 33])
    many, response = _count(count_queries, admin_client, progress_url)
    assert response.text.count("查看打分") == 50 and "下一页" in response.text
    assert many == few[0]
    assert _count(count_queries, admin_client, progress_url + "&page=6")[0] == few[0]
    assert [_count(count_queries, admin_client, url)[0] for url in (view_url, export_url)] == few[1:]

"""Expert scoring (spec B7): 保存 with server-side validation and totals, 提交最终打分结果, 撤回打分提交, permissions,
two tabs saving one sheet, and the list's query count."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.core.clock import utcnow
from app.core.extensions import db
from app.core.models import AuditLog
from app.review.models import Avoidance, Expert, ReviewAssignment, ReviewRound, ScoreItem, ScoreSheet
from app.review.assignment import has_scores


class Setup(SimpleNamespace):
    """A started round, one group of three experts, declarations assigned to it."""


def _setup(app, review, count=2, topic=None):
    round_id = review.round(started=True)
    experts = [review.expert() for _ in range(3)]
    group = review.group(round_id, "第一组", experts)
    declarations = review.declarations(count, units=1, topic=topic or (lambda i: "问题解决型"))
    with app.app_context():
        for d in declarations:
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group, declaration_id=d))
        db.session.commit()
        users = {e: db.session.get(Expert, e).user_id for e in experts}
        items = [(i.id, i.name, i.max_points_c) for i in db.session.get(ReviewRound, round_id).rubric.items]
    return Setup(round_id=round_id, experts=experts, group=group, declarations=declarations, users=users,
                 items=items)


def _login(auth, client, s, index=0):
    auth.login(client, SimpleNamespace(id=s.users[s.experts[index]]))
    return client


def _url(s, d=None):
    return f"/review/rounds/{s.round_id}/declarations/{d or s.declarations[0]}"


def _full(s, values=None):
    """A form with every item at its 配分 (or the given values)."""
    values = values or {}
    return {f"item_{i}": values.get(i, str(m / 100)) for i, _n, m in s.items}


def _sheet(app, s, d=None, expert=0):
    with app.app_context():
        row = db.session.execute(db.select(ScoreSheet).where(
            ScoreSheet.round_id == s.round_id, ScoreSheet.declaration_id == (d or s.declarations[0]),
            ScoreSheet.expert_id == s.experts[expert])).scalar()
        if row is None:
            return None
        items = dict(db.session.execute(db.select(ScoreItem.rubric_item_id, ScoreItem.points_c).where(
            ScoreItem.sheet_id == row.id)).all())
        return SimpleNamespace(status=row.status, total_c=row.total_c, complete=row.is_complete, items=items)


def test_list_shows_the_group_declarations_with_progress(app, client, auth, review):
    s = _setup(app, review, 3)
    _login(auth, client, s)
    page = client.get("/review/")
    assert page.status_code == 200
    assert "已评 0 / 应评 3" in page.text and page.text.count("未评分") >= 3


@pytest.mark.parametrize("raw, message", [
    ("-1", "的分值应在0至"), ("16", "的分值应在0至15之间。"), ("3.555", "最多保留两位小数"), ("abc", "应为数字"),
    ("1e1", "应为数字"), ("NaN", "应为数字"), ("１０", "应为数字"), ("5.", "应为数字")])
def test_bad_points_are_refused_with_the_item_named(app, client, auth, review, raw, message):
    s = _setup(app, review, 1)
    _login(auth, client, s)
    first_id, first_name, _max = s.items[0]
    form = _full(s, {first_id: raw})
    response = client.post(_url(s), data=form)
    assert response.status_code == 422
    assert first_name + ("的分值应在0至" if "分值" in message else "的得分") in response.text
    assert message in response.text
    assert f'value="{raw}"' in response.text  # shown as typed, never clamped
    assert _sheet(app, s) is None


def test_partial_save_then_total_is_exact(app, client, auth, review):
    s = _setup(app, review, 1)
    _login(auth, client, s)
    (a, _n, _m), (b, _n2, _m2) = s.items[:2]
    response = client.post(_url(s), data={f"item_{a}": "12.5", f"item_{b}": "25.33"})
    assert response.status_code == 302
    sheet = _sheet(app, s)
    assert sheet.total_c == 3783 and not sheet.complete and sheet.status == "draft"
    page = client.get(_url(s)).text
    assert "37.83" in page and '</span>15</td>' in page and 'aria-label="选题得分（0至15）"' in page
    values = {i: "0" for i, _n, _m in s.items}
    for (item_id, _n, _m), value in zip(s.items, ("14.99", "29.99", "19.99", "19.88")):
        values[item_id] = value
    form = _full(s, values)
    form.update({f"orig_{a}": "12.5", f"orig_{b}": "25.33"})
    client.post(_url(s), data=form)
    sheet = _sheet(app, s)
    assert sheet.total_c == 1499 + 2999 + 1999 + 1988 and sheet.complete  # 84.85, exact hundredths
    with app.app_context():
        assert has_scores(s.round_id, s.declarations[0])
        assert db.session.execute(db.select(AuditLog).where(AuditLog.action == "score.save")).first()


def test_two_tabs_saving_different_items_lose_nothing(app, auth, review):
    s = _setup(app, review, 1)
    tab1, tab2 = app.test_client(), app.test_client()
    _login(auth, tab1, s)
    _login(auth, tab2, s)
    (a, _n, _m), (b, _n2, _m2) = s.items[:2]
    blank = {f"item_{i}": "" for i, _n, _m in s.items}
    blank.update({f"orig_{i}": "" for i, _n, _m in s.items})
    first = dict(blank, **{f"item_{a}": "10"})
    second = dict(blank, **{f"item_{b}": "20"})  # opened before the first save: a is still empty here
    assert tab1.post(_url(s), data=first).status_code == 302
    assert tab2.post(_url(s), data=second).status_code == 302
    sheet = _sheet(app, s)
    assert sheet.items == {a: 1000, b: 2000} and sheet.total_c == 3000


def _complete_all(client, s):
    for d in s.declarations:
        assert client.post(_url(s, d), data=_full(s)).status_code == 302


def test_submit_refused_while_incomplete_then_locks_and_withdraws(app, client, auth, review):
    s = _setup(app, review, 2)
    _login(auth, client, s)
    client.post(_url(s), data=_full(s))
    response = client.post(f"/review/rounds/{s.round_id}/submit", follow_redirects=True)
    assert "以下成果尚未完成评分" in response.text
    with app.app_context():
        from app.declarations.models import Declaration
        second_no = db.session.get(Declaration, s.declarations[1]).decl_no
    assert second_no in response.text
    assert _sheet(app, s).status == "draft"
    _complete_all(client, s)
    response = client.post(f"/review/rounds/{s.round_id}/submit", follow_redirects=True)
    assert "已提交2项成果的最终打分结果" in response.text and "撤回打分提交" in response.text
    assert _sheet(app, s).status == "submitted" and _sheet(app, s, s.declarations[1]).status == "submitted"
    form = _full(s, {s.items[0][0]: "1"})
    form[f"orig_{s.items[0][0]}"] = "15"
    locked = client.post(_url(s), data=form)
    assert locked.status_code == 409 and "已提交打分，不可再修改" in locked.text
    assert _sheet(app, s).items[s.items[0][0]] == 1500
    response = client.post(f"/review/rounds/{s.round_id}/withdraw", follow_redirects=True)
    assert "已撤回打分提交" in response.text
    assert _sheet(app, s).status == "draft"
    assert client.post(_url(s), data=form).status_code == 302
    assert _sheet(app, s).items[s.items[0][0]] == 100
    with app.app_context():
        actions = set(db.session.execute(db.select(AuditLog.action)).scalars())
        assert {"score.submit", "score.withdraw"} <= actions


def test_closed_round_refuses_save_submit_and_withdraw(app, client, auth, review):
    s = _setup(app, review, 1)
    _login(auth, client, s)
    client.post(_url(s), data=_full(s))
    assert client.post(f"/review/rounds/{s.round_id}/submit").status_code == 302
    with app.app_context():
        row = db.session.get(ReviewRound, s.round_id)
        row.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.post(f"/review/rounds/{s.round_id}/withdraw", follow_redirects=True)
    assert "评审已截止，不能撤回打分提交" in response.text
    assert _sheet(app, s).status == "submitted"
    with app.app_context():
        row = db.session.get(ReviewRound, s.round_id)
        row.ends_at = utcnow() + timedelta(days=1)
        db.session.commit()
    client.post(f"/review/rounds/{s.round_id}/withdraw")
    with app.app_context():
        row = db.session.get(ReviewRound, s.round_id)
        row.ends_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.post(_url(s), data=_full(s, {s.items[0][0]: "1"}))
    assert response.status_code == 409 and "当前不能评分" in response.text
    assert _sheet(app, s).items[s.items[0][0]] == 1500


def test_avoided_declaration_is_403_and_shown_as_avoided(app, client, auth, review, make):
    s = _setup(app, review, 2)
    with app.app_context():
        db.session.add(Avoidance(declaration_id=s.declarations[0], expert_id=s.experts[0], year=review.year(),
                                 round_id=s.round_id, source="manual", reason="曾指导该小组"))
        db.session.commit()
    _login(auth, client, s)
    listing = client.get("/review/")
    assert "已回避" in listing.text and "已评 0 / 应评 1" in listing.text
    for response in (client.get(_url(s)), client.post(_url(s), data=_full(s))):
        assert response.status_code == 403 and "您已回避该成果，不能评分。" in response.text
    assert _sheet(app, s) is None
    # the avoided declaration does not block the submission
    client.post(_url(s, s.declarations[1]), data=_full(s))
    assert "已提交1项" in client.post(f"/review/rounds/{s.round_id}/submit", follow_redirects=True).text


def test_other_experts_and_other_groups_get_404(app, client, auth, review):
    s = _setup(app, review, 1)
    outsider = review.expert()
    other_group = review.group(s.round_id, "第二组", [outsider])
    (foreign,) = review.declarations(1, units=1)
    with app.app_context():
        db.session.add(ReviewAssignment(round_id=s.round_id, group_id=other_group, declaration_id=foreign))
        db.session.commit()
        user_id = db.session.get(Expert, outsider).user_id
    auth.login(client, SimpleNamespace(id=user_id))
    assert client.get(_url(s)).status_code == 404
    assert client.post(_url(s), data=_full(s)).status_code == 404
    assert _sheet(app, s) is None
    assert client.get(f"/review/rounds/{s.round_id}/declarations/{foreign}").status_code == 200
    assert client.get(f"/review/rounds/{s.round_id + 999}/declarations/{foreign}").status_code == 404


def test_experts_never_see_each_others_scores(app, auth, review):
    s = _setup(app, review, 1)
    first, second = app.test_client(), app.test_client()
    _login(auth, first, s, 0)
    _login(auth, second, s, 1)
    first.post(_url(s), data=_full(s, {s.items[0][0]: "13.37"}))
    assert "13.37" not in second.get(_url(s)).text and "13.37" not in second.get("/review/").text


@pytest.mark.parametrize("role", ["visitor", "unit", "secretariat"])
def test_units_visitors_and_clerks_are_refused(app, client, auth, make, review, role):
    s = _setup(app, review, 1)
    if role == "unit":
        auth.login(client, make.unit().user)
    elif role == "secretariat":
        auth.login(client, make.secretariat() if hasattr(make, "secretariat") else make.clerk())
    urls = [("GET", "/review/"), ("GET", _url(s)), ("POST", _url(s)),
            ("POST", f"/review/rounds/{s.round_id}/submit"),
            ("POST", f"/review/rounds/{s.round_id}/withdraw")]
    for method, url in urls:
        response = client.open(url, method=method, data=_full(s))
        if role == "visitor" and method == "GET":
            assert response.status_code in (302, 303), url
        else:
            assert response.status_code == 403, url
    assert _sheet(app, s) is None


def test_csrf_is_required(app, client, auth, review):
    s = _setup(app, review, 1)
    _login(auth, client, s)
    for url in (_url(s), f"/review/rounds/{s.round_id}/submit", f"/review/rounds/{s.round_id}/withdraw"):
        assert client.post(url, data=_full(s), csrf=False).status_code in (400, 403), url
    assert _sheet(app, s) is None


def test_list_query_count_is_fixed(app, client, auth, review, count_queries):
    s = _setup(app, review, 3)
    _login(auth, client, s)
    _complete_all(client, s)

    def count():
        with count_queries() as statements:
            response = client.get("/review/")
        assert response.status_code == 200
        return len(statements), response.text

    few, text = count()
    assert "已评 3 / 应评 3" in text
    more = review.declarations(297, units=2, topic=lambda i: "创新型")
    with app.app_context():
        for d in more:
            db.session.add(ReviewAssignment(round_id=s.round_id, group_id=s.group, declaration_id=d))
        db.session.commit()
    many, text = count()
    assert "已评 3 / 应评 300" in text and "共 300 项，第 1/6 页" in text and text.count("<tr>") == 51
    assert many == few
    with count_queries() as statements:
        last = client.get("/review/?page=6&topic=创新型")
    assert len(statements) == few and "共 297 项，第 6/6 页" in last.text and last.text.count("<tr>") == 48


def test_files_are_served_to_assigned_non_avoided_experts_only(app, client, auth, review):
    from tests.secretariat.declaration_factory import DeclarationFactory

    s = _setup(app, review, 2)
    files = DeclarationFactory(app)
    pdf = files.add_file(s.declarations[0], "report_pdf", b"%PDF-1.4 report", "报告.pdf", "application/pdf")
    word = files.add_file(s.declarations[0], "report", b"PK docx", "报告.docx",
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    scan = files.add_file(s.declarations[0], "stamped_form", b"%PDF-1.4 scan", "盖章.pdf", "application/pdf")
    other = files.add_file(s.declarations[1], "records", b"%PDF-1.4 rec", "记录.pdf", "application/pdf")
    _login(auth, client, s)
    page = client.get(_url(s)).text
    assert "成果报告书（PDF）" in page and "成果报告书（Word）" in page and "盖章" not in page
    base = _url(s) + "/files/"
    response = client.get(base + str(pdf))
    assert response.status_code == 200 and response.data == b"%PDF-1.4 report"
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    assert "attachment" in client.get(base + str(word)).headers["Content-Disposition"]
    assert client.get(base + str(scan)).status_code == 404  # not a file experts read
    assert client.get(base + str(other)).status_code == 404  # another declaration's file
    with app.app_context():
        db.session.add(Avoidance(declaration_id=s.declarations[0], expert_id=s.experts[0], year=review.year(),
                                 round_id=s.round_id, source="self", reason="同单位"))
        db.session.commit()
    response = client.get(base + str(pdf))
    assert response.status_code == 403 and "您已回避该成果" in response.text
    outsider = app.test_client()
    auth.login(outsider, review.make.expert())
    assert outsider.get(base + str(pdf)).status_code == 403  # an expert login outside the pool


def test_totals_are_exact_decimal_sums(app, client, auth, review):
    s = _setup(app, review, 1)
    _login(auth, client, s)
    values = dict(zip([i for i, _n, _m in s.items], ("14.33", "29.17", "19.11", "19.22", "4.1", "1.9")))
    assert client.post(_url(s), data=_full(s, values)).status_code == 302
    assert _sheet(app, s).total_c == 8783  # 87.83, no float drift
    assert "87.83" in client.get(_url(s)).text and "87.83" in client.get("/review/").text


def test_concurrent_saves_from_two_sessions_keep_every_item(app, auth, review):
    """Both sessions save at the same moment (threads): the sheet lock serialises them, no item is lost."""
    import threading

    s = _setup(app, review, 1)
    ids = [i for i, _n, _m in s.items]
    for attempt in range(3):
        clients = [app.test_client(), app.test_client()]
        for c in clients:
            _login(auth, c, s)
        blank = {f"orig_{i}": "" for i in ids}
        forms = [dict(blank, **{f"item_{ids[2 * attempt]}": "1"}),
                 dict(blank, **{f"item_{ids[2 * attempt + 1]}": "2"})]
        barrier, codes = threading.Barrier(2), []

        def post(c, form):
            barrier.wait()
            codes.append(c.post(_url(s), data=form).status_code)

        threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, forms)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert codes == [302, 302]
    sheet = _sheet(app, s)
    assert sheet.items == {i: (100 if n % 2 == 0 else 200) for n, i in enumerate(ids)}
    assert sheet.total_c == 900 and sheet.complete


def test_a_scored_declaration_cannot_be_moved_to_another_group(app, auth, review, admin_client):
    s = _setup(app, review, 1)
    other = review.group(s.round_id, "第二组", [review.expert() for _ in range(3)])
    expert = _login(auth, app.test_client(), s)
    expert.post(_url(s), data={f"item_{s.items[0][0]}": "5"})
    refused = admin_client.post(f"/admin/review/rounds/{s.round_id}/assignments/{s.declarations[0]}",
                                data={"group_id": other}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "已有评分，不能更换专业组" in refused.text


def test_filters_narrow_the_rows_but_not_the_progress(app, client, auth, review):
    s = _setup(app, review, 3, topic=lambda i: "创新型" if i == 2 else "问题解决型")
    with app.app_context():
        from app.declarations.models import Declaration
        numbers = [db.session.get(Declaration, d).decl_no for d in s.declarations]
    _login(auth, client, s)
    page = client.get("/review/", query_string={"decl_no": numbers[1]}).text
    assert numbers[1] in page and numbers[0] not in page and "已评 0 / 应评 3" in page
    page = client.get("/review/", query_string={"topic": "创新型"}).text
    assert numbers[2] in page and numbers[0] not in page and numbers[1] not in page
    assert "没有符合条件的成果" in client.get("/review/", query_string={"title": "不存在"}).text


def test_a_round_not_started_is_not_open_to_experts(app, client, auth, review):
    s = _setup(app, review, 1)
    with app.app_context():
        row = db.session.get(ReviewRound, s.round_id)
        row.starts_at, row.ends_at = utcnow() + timedelta(days=1), utcnow() + timedelta(days=2)
        db.session.commit()
    _login(auth, client, s)
    assert "您目前没有进行中的评审任务" in client.get("/review/").text
    assert client.get(_url(s)).status_code == 404
    assert client.post(_url(s), data=_full(s)).status_code == 404
    assert _sheet(app, s) is None

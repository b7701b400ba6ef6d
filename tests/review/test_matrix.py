"""评分矩阵 (B13, C-S9): the secretariat's page per 专业组 with each expert's submitted total, 回避 and —, the stored
mean, outlier flags, the 专业组 filter and pages; 重新计算; the xlsx export; permissions and query counts."""
import io
import re

import pytest
from openpyxl import load_workbook

from app.core.extensions import db
from app.declarations.models import Declaration
from app.review import results
from app.review.matrix import PAGE_SIZE
from app.review.models import (
    Avoidance,
    ReviewAssignment,
    ReviewRound,
    RoundResult,
    ScoreSheet,
)


def _sheet(round_id, declaration_id, expert_id, rubric_id, total, status="submitted"):
    return ScoreSheet(round_id=round_id, declaration_id=declaration_id, expert_id=expert_id, rubric_id=rubric_id,
                      status=status, total_c=total, is_complete=True)


def _world(app, review):
    """Group 甲 (5 experts) with three declarations, group 乙 (3 experts) with one; returns a dict of ids."""
    round_id = review.round(started=True)
    a = [review.expert(name=f"甲专家{i}") for i in range(5)]
    b = [review.expert(name=f"乙专家{i}") for i in range(3)]
    group_a = review.group(round_id, "甲组", a)
    group_b = review.group(round_id, "乙组", b)
    d = review.declarations(4)
    with app.app_context():
        review_round = db.session.get(ReviewRound, round_id)
        rubric = review_round.rubric_id
        db.session.get(Declaration, d[1]).title = '=HYPERLINK("http://x.example","点我")'
        for declaration_id, group_id in zip(d, [group_a, group_a, group_a, group_b]):
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group_id, declaration_id=declaration_id))
        # d0: 85.5, 90, 78, 88, 92 → 87.83
        for expert_id, total in zip(a, [8550, 9000, 7800, 8800, 9200]):
            db.session.add(_sheet(round_id, d[0], expert_id, rubric, total))
        # d1: a0 avoided (manual), a1 draft (—), a2..a4 submitted 90, 88, 70 → 70 is an outlier
        db.session.add(Avoidance(declaration_id=d[1], expert_id=a[0], year=review_round.year, round_id=round_id,
                                 source="manual", reason="亲属"))
        db.session.add(_sheet(round_id, d[1], a[0], rubric, 9900))
        db.session.add(_sheet(round_id, d[1], a[1], rubric, 5000, status="draft"))
        for expert_id, total in zip(a[2:], [9000, 8800, 7000]):
            db.session.add(_sheet(round_id, d[1], expert_id, rubric, total))
        for expert_id, total in zip(b, [9000, 9000, 8000]):
            db.session.add(_sheet(round_id, d[3], expert_id, rubric, total))
        results.recompute(review_round)
        db.session.commit()
    return {"round": round_id, "a": a, "b": b, "group_a": group_a, "group_b": group_b, "d": d}


def _row(text, decl_no):
    match = re.search(r"<tr>((?:(?!</tr>).)*?" + re.escape(decl_no) + r".*?)</tr>", text, re.S)
    assert match, decl_no
    return match.group(1)


def _decl_nos(app, ids):
    with app.app_context():
        return [db.session.get(Declaration, i).decl_no for i in ids]


def test_the_matrix_shows_totals_avoidance_means_and_outliers(app, admin_client, review):
    w = _world(app, review)
    text = admin_client.get(f"/admin/review/matrix?round={w['round']}").text
    assert "专业组：甲组" in text and "专业组：乙组" in text and "甲专家4</th>" in text and "乙专家2</th>" in text
    assert 'aria-current="page">评分矩阵' in text
    for label in ("序号", "分派专业组", "申报编号", "成果名称", "小组名称", "课题类型", "平均分（小数点后两位）",
                  "有效评分数/参与计算数", "状态", "企业名称", "申报单位", "主要完成人"):
        assert f">{label}</th>" in text, label
    first, second, third, fourth = _decl_nos(app, w["d"])
    row = _row(text, first)
    assert ">85.50<" in row and ">92.00<" in row and ">87.83<" in row and ">5/3<" in row and "评分完成" in row
    row = _row(text, second)
    assert row.count(">回避<") == 1 and row.count(">—<") == 1 and ">99.00<" not in row and ">50.00<" not in row
    assert re.search(r'class="num outlier" title="偏离其他专家平均分超过15分">70.00<', row)
    assert row.count("outlier") == 1 and "评分未完成" in row and ">3/1<" in row and ">88.00<" in row
    assert "=HYPERLINK(&#34;http://x.example&#34;,&#34;点我&#34;)" in row or "=HYPERLINK(&quot;" in row
    row = _row(text, third)
    assert row.count(">—<") >= 5 and "暂无有效评分" in row and ">0/0<" in row and "评分未完成" in row
    assert ">90.00<" in _row(text, fourth) and "共 4 项" in text


def test_the_group_filter_and_pages(app, admin_client, review):
    w = _world(app, review)
    text = admin_client.get(f"/admin/review/matrix?round={w['round']}&group={w['group_b']}").text
    assert "专业组：乙组" in text and "专业组：甲组" not in text and "共 1 项" in text
    more = review.declarations(60)
    with app.app_context():
        db.session.add_all(ReviewAssignment(round_id=w["round"], group_id=w["group_b"], declaration_id=i)
                           for i in more)
        db.session.commit()
    text = admin_client.get(f"/admin/review/matrix?round={w['round']}").text
    assert text.count("<tr>") == PAGE_SIZE + 2 and "下一页" in text and "共 64 项" in text
    text = admin_client.get(f"/admin/review/matrix?round={w['round']}&page=2").text
    assert f">{PAGE_SIZE + 1}<" in text and "上一页" in text and "专业组：甲组" not in text
    text = admin_client.get(f"/admin/review/matrix?round={w['round']}&page=3").text
    assert text.count("<tr>") == 64 - 2 * PAGE_SIZE + 1 and "下一页" not in text


def test_recompute_button_reports_the_changed_rows_and_is_audited(app, admin_client, review):
    w = _world(app, review)
    with app.app_context():
        db.session.execute(db.update(ScoreSheet).where(ScoreSheet.declaration_id == w["d"][3],
                                                       ScoreSheet.total_c == 8000).values(total_c=8500))
        db.session.commit()
    response = admin_client.post(f"/admin/review/rounds/{w['round']}/recompute", follow_redirects=True)
    assert "已重新计算：1项成果的结果有变化。" in response.text and ">90.00<" in _row(response.text, _decl_nos(
        app, [w["d"][3]])[0])
    with app.app_context():
        from app.core.models import AuditLog

        assert db.session.execute(db.select(RoundResult.mean_c).filter_by(declaration_id=w["d"][3])).scalar() \
            == 9000
        entry = db.session.execute(db.select(AuditLog).filter_by(action="round_result.recompute")).scalar_one()
        assert "1项成果" in entry.summary
    response = admin_client.post(f"/admin/review/rounds/{w['round']}/recompute", follow_redirects=True)
    assert "已重新计算：结果没有变化。" in response.text


def test_recompute_is_refused_once_locked(app, admin_client, review):
    w = _world(app, review)
    with app.app_context():
        db.session.get(ReviewRound, w["round"]).is_locked = True
        db.session.execute(db.update(ScoreSheet).values(total_c=0))
        db.session.commit()
    response = admin_client.post(f"/admin/review/rounds/{w['round']}/recompute", follow_redirects=True)
    assert "定级已锁定，不能重新计算。" in response.text
    with app.app_context():
        assert db.session.execute(db.select(RoundResult.mean_c).filter_by(declaration_id=w["d"][0])).scalar() \
            == 8783


def test_export_reads_back_with_blocks_and_neutralised_formulas(app, admin_client, review):
    w = _world(app, review)
    response = admin_client.get(f"/admin/review/rounds/{w['round']}/matrix.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["评分矩阵"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    headers = [r for r in rows if r and r[0] == "序号"]
    assert headers[0][:6] == ["序号", "分派专业组", "申报编号", "成果名称", "小组名称", "课题类型"]
    assert headers[0][6:11] == [f"甲专家{i}" for i in range(5)]
    assert headers[0][11:15] == ["平均分（小数点后两位）", "企业名称", "申报单位", "主要完成人"]
    assert headers[1][6:9] == [f"乙专家{i}" for i in range(3)] and headers[1][9] == "平均分（小数点后两位）"
    assert ["专业组：甲组（3项）"] == [r[0] for r in rows if r and str(r[0]).startswith("专业组：甲组")]
    first, second, *_ = _decl_nos(app, w["d"])
    data = {r[2]: r for r in rows if r and isinstance(r[0], int)}
    assert data[first][6:12] == [85.5, 90, 78, 88, 92, 87.83]
    assert data[second][6:8] == ["回避", "—"] and data[second][11] == 88
    title_cell = next(c for row in sheet.iter_rows() for c in row if c.value and str(c.value).startswith("=HYP"))
    assert title_cell.data_type == "s" and title_cell.quotePrefix
    mean_cell = next(row[11] for row in sheet.iter_rows() if row[2].value == first)
    assert mean_cell.number_format == "0.00"
    one = admin_client.get(f"/admin/review/rounds/{w['round']}/matrix.xlsx?group={w['group_b']}")
    values = [c.value for row in load_workbook(io.BytesIO(one.data))["评分矩阵"].iter_rows() for c in row]
    assert "专业组：乙组（1项）" in values and "专业组：甲组（3项）" not in values
    with app.app_context():
        from app.core.models import AuditLog

        assert db.session.execute(db.select(db.func.count(AuditLog.id)).filter_by(
            action="review_matrix.export")).scalar() == 2


def _urls(review):
    round_id = review.round()
    return round_id, [("GET", "/admin/review/matrix"), ("POST", f"/admin/review/rounds/{round_id}/recompute"),
                      ("GET", f"/admin/review/rounds/{round_id}/matrix.xlsx")]


@pytest.mark.parametrize("role", ["unit", "expert"])
def test_units_and_experts_get_403(app, client, auth, make, review, role):
    _round_id, urls = _urls(review)
    auth.login(client, make.unit().user if role == "unit" else make.expert())
    for method, url in urls:
        response = client.open(url, method=method)
        assert response.status_code == 403 and "没有权限" in response.text, url


def test_visitors_csrf_and_unknown_rounds(app, client, admin_client, review):
    round_id, urls = _urls(review)
    for method, url in urls:
        with app.test_client() as visitor:
            response = visitor.open(url, method=method)
        assert response.status_code in ((302, 303) if method == "GET" else (403,)), url
    assert admin_client.post(f"/admin/review/rounds/{round_id}/recompute", csrf=False).status_code in (400, 403)
    assert admin_client.post(f"/admin/review/rounds/{round_id + 999}/recompute").status_code == 404
    assert admin_client.get(f"/admin/review/rounds/{round_id + 999}/matrix.xlsx").status_code == 404


def _count(count_queries, client, url):
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response.text


def _fill(app, round_id, group_id, experts, ids, avoid_every=7):
    with app.app_context():
        review_round = db.session.get(ReviewRound, round_id)
        for n, declaration_id in enumerate(ids):
            db.session.add(ReviewAssignment(round_id=round_id, group_id=group_id, declaration_id=declaration_id))
            for k, expert_id in enumerate(experts):
                db.session.add(_sheet(round_id, declaration_id, expert_id, review_round.rubric_id,
                                      7000 + (n * 37 + k * 500) % 3000))
            if n % avoid_every == 0:
                db.session.add(Avoidance(declaration_id=declaration_id, expert_id=experts[0],
                                         year=review_round.year, round_id=round_id, source="manual", reason="亲属"))
        results.recompute(review_round)
        db.session.commit()


def test_matrix_query_count_is_fixed(app, admin_client, review, count_queries):
    round_id = review.round(started=True)
    experts = [review.expert(company=f"企业{i}有限公司") for i in range(7)]  # some automatic 回避 by name
    group = review.group(round_id, "甲组", experts)
    _fill(app, round_id, group, experts, review.declarations(3, units=1))
    url = f"/admin/review/matrix?round={round_id}"
    few, _ = _count(count_queries, admin_client, url)
    others = [review.expert() for _ in range(5)]
    second = review.group(round_id, "乙组", others)
    ids = review.declarations(297, units=4)
    _fill(app, round_id, group, experts, ids[:150])
    _fill(app, round_id, second, others, ids[150:])
    many, text = _count(count_queries, admin_client, url)
    assert "共 300 项" in text and text.count("<tr>") == PAGE_SIZE + 1 and "回避" in text
    assert many == few
    across, text = _count(count_queries, admin_client, url + f"&page={153 // PAGE_SIZE + 1}")  # 甲组 ends at 153
    assert across == few and "专业组：甲组" in text and "专业组：乙组" in text
    last, text = _count(count_queries, admin_client, url + f"&page={300 // PAGE_SIZE}")
    assert last == few and "专业组：乙组" in text and "专业组：甲组" not in text
    filtered, text = _count(count_queries, admin_client, url + f"&group={second}")
    assert filtered == few and "共 147 项" in text

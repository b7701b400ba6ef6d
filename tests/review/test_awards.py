"""评审结果 (C-S9, spec B8.2, B8.3, B9, B10, B13, D17–D21, D27): ranks, 决赛入围, 优胜杯, 定级 with live counts,
overrides, 定级锁定, exports, query counts and permissions."""
import io
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from app.core.extensions import db
from app.models import AuditLog
from app.review.aggregation import (
    LEVEL_CUP,
    LEVEL_FIRST,
    LEVEL_NONE,
    LEVEL_SECOND,
    LEVEL_THIRD,
    award_levels,
    cup_winners,
    finalist_split,
    group_ranks,
    weighted_score,
)
from app.review.models import AwardPlan, AwardResult, ReviewRound, RoundResult
from app.secretariat.labels import ACTION_LABELS

BASE = "/admin/review/results/group"
PAGE = "/admin/review/results?kind=group"


def _standings(app, review, means, groups=1, r2_means=None, incomplete=(), kind="group"):
    """Accepted declarations with stored R1 means (hundredths; None = 暂无有效评分), spread over `groups` 专业组;
    R2 means for some when given. Returns (declaration ids, R1 round id)."""
    r1 = review.round(kind=kind, rubric="QC-PS" if kind == "group" else "BZ", started=True)
    group_ids = [review.group(r1, f"第{g + 1}组") for g in range(groups)]
    ids = review.declarations(len(means), kind=kind)
    r2 = review.round(kind=kind, stage="R2", rubric="FB", started=True) if r2_means else None
    with app.app_context():
        for i, (declaration_id, mean) in enumerate(zip(ids, means)):
            valid = 4 if i in incomplete else 5
            db.session.add(RoundResult(round_id=r1, declaration_id=declaration_id,
                                       group_id=group_ids[i % groups], expected_count=5, valid_count=valid, used_count=3, mean_c=mean,
                                       detail=[], suggested_level="一等" if i == 0 else ""))
        for declaration_id, mean in (r2_means or {}).items():
            db.session.add(RoundResult(round_id=r2, declaration_id=ids[declaration_id], expected_count=5,
                                       valid_count=5, used_count=3, mean_c=mean, detail=[]))
        db.session.commit()
    return ids, r1


def _awards(app):
    with app.app_context():
        return {a.declaration_id: a for a in db.session.execute(db.select(AwardResult)).scalars()}


def _actions(app):
    with app.app_context():
        return list(db.session.execute(db.select(AuditLog.action).order_by(AuditLog.id)).scalars())


def _apply(client, **values):
    data = {"mode": "cutoffs", "cutoff_first": "85", "cutoff_second": "75", "cutoff_third": "60"}
    data.update(values)
    return client.post(f"{BASE}/levels", data=data)


# ---- pure rules --------------------------------------------------------------------------------------

def test_pure_rules_for_group_ranks_finalists_cups_and_levels():
    scores = {"a": D(90), "b": D(85), "c": D(85), "d": D(70), "e": None}
    assert group_ranks(scores, {"a": 1, "b": 2, "c": 1, "d": 2, "e": 1}) == {"a": 1, "c": 2, "b": 1, "d": 2,
                                                                              "e": None}
    assert finalist_split(scores, 2) == ({"a"}, {"b", "c"})  # the tie at place 2 crosses the boundary
    assert finalist_split(scores, 3) == ({"a", "b", "c"}, set())
    assert finalist_split(scores, 9) == ({"a", "b", "c", "d"}, set())
    assert cup_winners({"a": D(25), "b": D(26), "c": D(25)}, 1) == {"b"}
    assert cup_winners({"a": D(25), "b": D(26), "c": D(25)}, 2) == {"a", "b", "c"}
    levels = award_levels(scores, {"a", "b"}, {"a"})
    assert levels == {"a": LEVEL_CUP, "b": LEVEL_FIRST, "c": LEVEL_FIRST, "d": LEVEL_THIRD, "e": LEVEL_NONE}
    assert award_levels({"x": D(80)}, set(), set())["x"] == LEVEL_SECOND
    assert weighted_score(D("87.83"), 60) == D("52.70") and weighted_score(None) is None


# ---- 成果得分 ------------------------------------------------------------------------------------------

def test_ranks_share_places_and_group_ranks_are_shown(app, admin_client, review):
    ids, _ = _standings(app, review, [9000, 8500, 8500, 7000, None], groups=2)
    page = admin_client.get("/admin/review/results")
    assert page.status_code == 200
    text = page.text
    for label in ("评审结果", "小组成果", "班组成果", "序号", "专业组", "申报编号", "成果名称", "小组名称", "企业名称",
                  "有效评分数", "参与计算数", "平均分", "排名", "组内排名", "建议等级", "评定等级", "状态", "决赛入围",
                  "定级", "一等分数线", "二等分数线", "三等分数线", "按比例", "定级锁定", "暂无有效评分", "评分完成"):
        assert label in text, label
    with app.app_context():
        from app.review import awards

        board = awards.board(review.year(), "group")
        ranks = {r.declaration_id: (r.rank, r.group_rank) for r in board.rows}
    # group 1 holds ids 0, 2, 4 (90, 85, none); group 2 holds ids 1, 3 (85, 70)
    assert ranks == {ids[0]: (1, 1), ids[1]: (2, 1), ids[2]: (2, 2), ids[3]: (4, 2), ids[4]: (None, None)}
    assert [r.declaration_id for r in board.rows][0] == ids[0]
    assert 'href="/admin/review/results"' in admin_client.get("/admin/review/rounds").text  # the menu item


def test_incomplete_results_are_marked(app, admin_client, review):
    _standings(app, review, [9000, 8000], incomplete=(1,))
    text = admin_client.get(PAGE).text
    assert "评分未完成" in text and "1项评分未完成" in text


# ---- 定级 ----------------------------------------------------------------------------------------------

def test_cutoff_preview_counts_equal_what_apply_writes(app, admin_client, review):
    ids, _ = _standings(app, review, [9000, 8500, 8499, 7500, 7500, 6000, 5999, None])
    preview = admin_client.get(f"{BASE}/levels/preview", query_string={
        "mode": "cutoffs", "cutoff_first": "85", "cutoff_second": "75", "cutoff_third": "60"},
        headers={"HX-Request": "true"})
    assert preview.status_code == 200 and 'id="level-counts"' in preview.text and "<html" not in preview.text
    counts = dict(zip(("优胜杯", "一等", "二等", "三等", "未获奖"), (0, 2, 3, 1, 2)))
    for label, n in counts.items():
        assert f'data-level="{label}">{n}<' in preview.text
    changed = admin_client.get(f"{BASE}/levels/preview", query_string={
        "mode": "cutoffs", "cutoff_first": "90", "cutoff_second": "75", "cutoff_third": "60"})
    assert 'data-level="一等">1<' in changed.text
    assert _apply(admin_client).status_code == 303
    awards = _awards(app)
    written = {}
    for award in awards.values():
        written[award.computed_level] = written.get(award.computed_level, 0) + 1
        assert award.level == award.computed_level
    assert {k: v for k, v in counts.items() if v} == written
    assert awards[ids[3]].level == awards[ids[4]].level == "二等"  # equal scores, same level
    assert (awards[ids[0]].rank, awards[ids[0]].level_score_c, awards[ids[7]].rank) == (1, 9000, None)
    with app.app_context():
        plan = db.session.execute(db.select(AwardPlan)).scalar_one()
        assert (plan.mode, plan.params) == ("cutoffs", {"一等": 8500, "二等": 7500, "三等": 6000})
    assert _actions(app) == ["award.apply"] and "award.apply" in ACTION_LABELS


def test_proportion_preview_equals_apply_and_keeps_ties_together(app, admin_client, review):
    ids, _ = _standings(app, review, [9500, 9000, 9000, 8000, 7000, 6000, 5000, 4000, 3000, 2000])
    query = {"mode": "proportion", "percent_first": "20", "percent_second": "30", "percent_third": "30"}
    preview = admin_client.get(f"{BASE}/levels/preview", query_string=query).text
    # 一等 quota 2: ranks 1, 2, 2 → three; 二等 up to 5; 三等 up to 8
    for label, n in (("一等", 3), ("二等", 2), ("三等", 3), ("未获奖", 2)):
        assert f'data-level="{label}">{n}<' in preview, label
    assert _apply(admin_client, **query).status_code == 303
    awards = _awards(app)
    assert [awards[i].level for i in ids] == ["一等"] * 3 + ["二等"] * 2 + ["三等"] * 3 + ["未获奖"] * 2


def test_level_form_refusals_name_the_field(app, admin_client, review):
    _standings(app, review, [9000])
    response = _apply(admin_client, cutoff_first="80", cutoff_second="85", cutoff_third="abc")
    assert response.status_code == 422
    assert "三等分数线应为0～999.99之间的数" in response.text and 'value="abc"' in response.text
    response = _apply(admin_client, cutoff_third="60", cutoff_first="80", cutoff_second="85")
    assert response.status_code == 422 and "二等分数线应低于一等分数线" in response.text
    response = admin_client.post(f"{BASE}/levels", data={"mode": "proportion", "percent_first": "60",
                                                         "percent_second": "50", "percent_third": "0"})
    assert response.status_code == 422 and "各等级比例之和不能超过100%" in response.text
    preview = admin_client.get(f"{BASE}/levels/preview",
                               query_string={"mode": "cutoffs", "cutoff_first": "x"})
    assert preview.status_code == 200 and "请先改正" in preview.text and "一等分数线应为" in preview.text
    assert _awards(app) == {}


# ---- 决赛入围 and 优胜杯 --------------------------------------------------------------------------------

def test_finalists_with_a_boundary_tie_then_cups_and_first_prizes(app, admin_client, review):
    ids, _ = _standings(app, review, [9500, 9000, 8800, 8800, 7000, 6000],
                        r2_means={0: 2500, 1: 2600, 2: 2400, 3: 2000})
    response = admin_client.post(f"{BASE}/finalists", data={"finalist_count": "3", "cup_count": "1"})
    assert response.status_code == 303
    awards = _awards(app)
    assert [awards[i].is_finalist for i in ids] == [True, True, True, True, False, False]  # the tie is in
    page = admin_client.get(PAGE).text
    assert "分数线并列 2 项" in page and page.count("取消入围") == 2
    response = admin_client.post(f"{BASE}/finalists/{ids[3]}", data={"include": "0"})
    assert response.status_code == 303 and not _awards(app)[ids[3]].is_finalist
    refused = admin_client.post(f"{BASE}/finalists/{ids[0]}", data={"include": "0"}, follow_redirects=True)
    assert "只有在入围分数线上并列的成果" in refused.text and _awards(app)[ids[0]].is_finalist
    assert _apply(admin_client).status_code == 303
    awards = _awards(app)
    # 决赛分: id1 (26.00) wins the cup, the other finalists get 一等 whatever their score;
    # id3 (excluded) gets 一等 by its cut-off (88)
    assert [awards[i].level for i in ids] == ["一等", "优胜杯", "一等", "一等", "三等", "三等"]
    assert awards[ids[1]].final_score_c == 2600
    assert _actions(app) == ["award.finalists", "award.finalist", "award.apply"]
    bad = admin_client.post(f"{BASE}/finalists", data={"finalist_count": "2", "cup_count": "5"})
    assert bad.status_code == 422 and "优胜杯数不能大于决赛入围数" in bad.text


# ---- overrides, locking ---------------------------------------------------------------------------------

def test_override_needs_a_reason_is_audited_and_marked(app, admin_client, review):
    ids, _ = _standings(app, review, [9000, 8000])
    url = f"{BASE}/declarations/{ids[1]}/level"
    assert "请先应用定级" in admin_client.get(url).text
    _apply(admin_client)
    missing = admin_client.post(url, data={"level": "一等", "reason": " "})
    assert missing.status_code == 422 and "请填写调整原因" in missing.text
    assert admin_client.post(url, data={"level": "一等", "reason": "异议处理后调整"}).status_code == 303
    award = _awards(app)[ids[1]]
    assert (award.level, award.computed_level, award.override_reason) == ("一等", "二等", "异议处理后调整")
    page = admin_client.get(PAGE).text
    assert "已调整" in page and "异议处理后调整" in page
    _apply(admin_client)  # 应用 again keeps the override
    assert _awards(app)[ids[1]].level == "一等"
    with app.app_context():
        entry = db.session.execute(db.select(AuditLog).filter_by(action="award.override")).scalar_one()
        assert "二等 → 一等" in entry.summary and "异议处理后调整" in entry.summary
    assert admin_client.get(f"{BASE}/declarations/999999/level").status_code == 404


def test_lock_refused_when_incomplete_then_accepted_with_the_reason_and_unlock(app, admin_client, review):
    ids, r1 = _standings(app, review, [9000, 8000], incomplete=(1,))
    lock = f"{BASE}/lock"
    not_applied = admin_client.post(lock, data={"meeting_on": "2027-08-20"})
    assert not_applied.status_code == 422 and "请先应用定级" in not_applied.text
    _apply(admin_client)
    refused = admin_client.post(lock, data={"meeting_on": "2027-08-20"})
    assert refused.status_code == 422 and "以下1项成果评分未完成" in refused.text
    no_reason = admin_client.post(lock, data={"meeting_on": "2027-08-20", "confirm_incomplete": "1"})
    assert no_reason.status_code == 422
    with app.app_context():
        assert not db.session.get(ReviewRound, r1).is_locked
    accepted = admin_client.post(lock, data={"meeting_on": "2027-08-20", "confirm_incomplete": "1",
                                             "incomplete_reason": "一位评委因病未能评分"})
    assert accepted.status_code == 303
    with app.app_context():
        plan = db.session.execute(db.select(AwardPlan)).scalar_one()
        assert plan.locked_at and plan.meeting_on == date(2027, 8, 20)
        assert plan.incomplete_reason == "一位评委因病未能评分"
        assert db.session.get(ReviewRound, r1).status() == "locked"  # scores and 回避 refuse changes
    page = admin_client.get(PAGE).text
    assert "定级已锁定" in page and "解除锁定" in page
    # every edit is refused while locked
    before = {i: (a.level, a.is_finalist) for i, a in _awards(app).items()}
    for url, data in ((f"{BASE}/levels", {"mode": "cutoffs", "cutoff_first": "95", "cutoff_second": "90",
                                          "cutoff_third": "80"}),
                      (f"{BASE}/finalists", {"finalist_count": "1", "cup_count": "0"}),
                      (f"{BASE}/declarations/{ids[0]}/level", {"level": "三等", "reason": "x"}),
                      (f"{BASE}/recompute", {})):
        response = admin_client.post(url, data=data, follow_redirects=True)
        assert "定级已锁定，不能再修改" in response.text, url
    assert {i: (a.level, a.is_finalist) for i, a in _awards(app).items()} == before
    unlock = f"{BASE}/unlock"
    assert "请填写解除锁定的原因" in admin_client.post(unlock, data={"unlock_reason": ""}).text
    assert admin_client.post(unlock, data={"unlock_reason": "评审委员会要求复核"}).status_code == 303
    with app.app_context():
        assert db.session.execute(db.select(AwardPlan)).scalar_one().locked_at is None
        assert not db.session.get(ReviewRound, r1).is_locked
        entry = db.session.execute(db.select(AuditLog).filter_by(action="award.unlock")).scalar_one()
        assert "评审委员会要求复核" in entry.summary
    assert _actions(app) == ["award.apply", "award.lock", "award.unlock"]
    assert {"award.lock", "award.unlock", "award.override", "award.finalists"} <= set(ACTION_LABELS)


def test_a_stale_level_blocks_the_lock(app, admin_client, review):
    ids, r1 = _standings(app, review, [9000, 8000])
    _apply(admin_client)
    with app.app_context():
        db.session.execute(db.update(RoundResult).where(RoundResult.declaration_id == ids[1])
                           .values(mean_c=8600))
        db.session.commit()
    assert "请重新应用定级" in admin_client.get(PAGE).text
    response = admin_client.post(f"{BASE}/lock", data={"meeting_on": "2027-08-20"})
    assert response.status_code == 422 and "定级结果不是最新的" in response.text


def test_recompute_refreshes_round_means(app, admin_client, review):
    _standings(app, review, [9000])
    response = admin_client.post(f"{BASE}/recompute", follow_redirects=True)
    assert "已重新计算成果得分" in response.text  # no assignment: the stored row is removed
    with app.app_context():
        assert db.session.execute(db.select(RoundResult)).scalars().all() == []
    assert _actions(app) == ["award.recompute"]


# ---- exports ---------------------------------------------------------------------------------------------

def test_exports_read_back_and_are_formula_safe(app, admin_client, review):
    ids, _ = _standings(app, review, [9000, 8000], r2_means={0: 2550})
    with app.app_context():
        from app.declarations.models import Declaration

        db.session.get(Declaration, ids[0]).title = "=HYPERLINK(\"http://x\")"
        db.session.execute(db.update(RoundResult).where(RoundResult.declaration_id == ids[0])
                           .values(group_opinion="@SUM(1)建议一等"))
        db.session.commit()
    _apply(admin_client)
    response = admin_client.get(f"{BASE}/opinions")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "专业组", "申报编号", "成果名称", "小组名称", "企业名称", "申报单位", "成果类型", "等级分",
                       "决赛分", "排名", "建议等级", "专家组意见")
    first = rows[1]
    assert first[3] == "=HYPERLINK(\"http://x\")" and first[8] == 90 and first[9] == 25.5 and first[10] == 1
    assert first[11] == "一等" and first[12] == "@SUM(1)建议一等"
    assert sheet.cell(row=2, column=4).data_type == "s" and sheet.cell(row=2, column=4).quotePrefix
    scores = load_workbook(io.BytesIO(admin_client.get(f"{BASE}/export").data)).active
    score_rows = list(scores.iter_rows(values_only=True))
    assert score_rows[0][:14] == ("序号", "专业组", "申报编号", "成果名称", "小组名称", "企业名称", "有效评分数",
                                  "参与计算数", "平均分", "排名", "组内排名", "建议等级", "评定等级", "状态")
    assert [r[12] for r in score_rows[1:]] == ["一等", "二等"] and len(score_rows) == 3
    assert _actions(app)[-2:] == ["award.export_opinions", "award.export"]


# ---- permissions and query counts ------------------------------------------------------------------------

def _urls(ids):
    return [("GET", "/admin/review/results"), ("GET", PAGE), ("GET", f"{BASE}/levels/preview"),
            ("POST", f"{BASE}/levels"), ("POST", f"{BASE}/finalists"), ("POST", f"{BASE}/finalists/{ids[0]}"),
            ("GET", f"{BASE}/declarations/{ids[0]}/level"), ("POST", f"{BASE}/declarations/{ids[0]}/level"),
            ("POST", f"{BASE}/lock"), ("POST", f"{BASE}/unlock"), ("POST", f"{BASE}/recompute"),
            ("GET", f"{BASE}/export"), ("GET", f"{BASE}/opinions")]


@pytest.mark.parametrize("role", ["unit", "expert"])
def test_units_and_experts_get_403(app, client, auth, make, review, role):
    ids, _ = _standings(app, review, [9000])
    auth.login(client, make.unit().user if role == "unit" else make.expert())
    for method, url in _urls(ids):
        response = client.open(url, method=method, data={"finalist_count": "1", "cup_count": "0"})
        assert response.status_code == 403 and "没有权限" in response.text, url
    assert _awards(app) == {}


def test_unknown_kind_is_404(admin_client):
    assert admin_client.get("/admin/review/results?kind=other").status_code == 404
    assert admin_client.get("/admin/review/results/other/export").status_code == 404


def test_results_page_query_count(app, admin_client, review, count_queries):
    _standings(app, review, [9000, 8000, 7000], groups=2)

    def count():
        with count_queries() as statements:
            assert admin_client.get(PAGE).status_code == 200
        return len(statements)

    few = count()
    ids = review.declarations(297)
    with app.app_context():
        r1 = db.session.execute(db.select(ReviewRound).filter_by(stage="R1")).scalar_one()
        group_id = db.session.execute(db.select(RoundResult.group_id)).scalars().first()
        db.session.add_all(RoundResult(round_id=r1.id, declaration_id=i, group_id=group_id, expected_count=5,
                                       valid_count=5, used_count=3, mean_c=5000 + n * 10, detail=[])
                           for n, i in enumerate(ids))
        db.session.add_all(AwardResult(declaration_id=i, year=r1.year, kind="group", level="三等",
                                       computed_level="三等") for i in ids)
        db.session.commit()
    assert count() == few


def test_a_declaration_no_longer_accepted_leaves_the_results_on_the_next_apply(app, admin_client, review):
    from app.declarations.models import Declaration

    ids, _ = _standings(app, review, [9000, 8000])
    _apply(admin_client)
    with app.app_context():
        db.session.get(Declaration, ids[1]).status = "rejected"
        db.session.commit()
    assert "请重新应用定级" in admin_client.get(PAGE).text  # its result is still stored
    _apply(admin_client)
    assert set(_awards(app)) == {ids[0]}
    assert "请重新应用定级" not in admin_client.get(PAGE).text


def test_opinion_sheet_of_one_group_and_the_team_tab(app, admin_client, review):
    ids, _ = _standings(app, review, [9000, 8000, 7000], groups=2)
    with app.app_context():
        group_id = db.session.execute(db.select(RoundResult.group_id).filter_by(declaration_id=ids[1])).scalar_one()
    page = admin_client.get(PAGE).text
    assert f'<option value="{group_id}">第2组</option>' in page
    sheet = load_workbook(io.BytesIO(admin_client.get(f"{BASE}/opinions?group={group_id}").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == [_decl_no(app, ids[1])] and rows[1][1] == "第2组"
    team_ids, _ = _standings(app, review, [8800], kind="team")
    team = admin_client.get("/admin/review/results?kind=team").text
    assert "班组名称" in team and _decl_no(app, team_ids[0]) in team and _decl_no(app, ids[0]) not in team
    team_sheet = load_workbook(io.BytesIO(admin_client.get("/admin/review/results/team/opinions").data)).active
    header = next(team_sheet.iter_rows(values_only=True))
    assert header[4] == "班组名称" and header[7] == "成果类型"


def _decl_no(app, declaration_id):
    from app.declarations.models import Declaration

    with app.app_context():
        return db.session.get(Declaration, declaration_id).decl_no

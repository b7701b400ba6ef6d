"""评审管理 pages (C-S6, C-S7): 评审轮次, 评分表 and 专业组管理 — forms, refusals beside the field, audit, 404s."""
from datetime import datetime, timedelta

from app.core.clock import utcnow
from app.core.extensions import db
from app.models import AuditLog
from app.review.models import ReviewGroupMember, ReviewRound, Rubric
from app.secretariat.labels import ACTION_LABELS

HX = {"HX-Request": "true"}


def _actions(app):
    with app.app_context():
        return [a for a in db.session.execute(db.select(AuditLog.action).order_by(AuditLog.id)).scalars()]


# ---- 评审轮次 ----------------------------------------------------------------------------------------

def test_create_round_in_china_time_and_list_it(app, admin_client, review):
    year, rubrics = review.year(), review.rubrics()
    page = admin_client.get("/admin/review/rounds")
    assert page.status_code == 200 and "评审管理" in page.text and f"{year}年度尚未设置评审轮次" in page.text
    data = {"kind": "group", "stage": "R1", "rubric_id": rubrics["QC-PS"], "innovative_rubric_id": rubrics["QC-IN"],
            "starts_at": f"{year}-06-01T09:00", "ends_at": f"{year}-06-30T23:59"}
    response = admin_client.post("/admin/review/rounds/new", data=data, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/review/rounds"
    with app.app_context():
        row = db.session.execute(db.select(ReviewRound)).scalar_one()
        assert (row.year, row.kind, row.stage) == (year, "group", "R1")
        assert row.starts_at == datetime(year, 6, 1, 1, 0) and row.ends_at == datetime(year, 6, 30, 15, 59)
        assert row.innovative_rubric_id == rubrics["QC-IN"]
    listing = admin_client.get("/admin/review/rounds").text
    for label in ("评审轮次", "类型", "评分表", "开始时间", "截止时间", "状态", "资料评审（初评）", "小组成果",
                  "问题解决型课题成果评审表", "创新型课题成果评审表", f"{year}-06-01 09:00", f"{year}-06-30 23:59"):
        assert label in listing
    assert any(s in listing for s in ("未开始", "进行中", "已截止"))
    assert _actions(app) == ["review_round.create"] and "review_round.create" in ACTION_LABELS


def test_round_form_refusals_name_the_field(app, admin_client, review):
    year, rubrics = review.year(), review.rubrics()
    other_year = review.rubrics(year + 1)
    bad = admin_client.post("/admin/review/rounds/new", data={
        "kind": "group", "stage": "R1", "rubric_id": rubrics["BZ"], "innovative_rubric_id": other_year["QC-IN"],
        "starts_at": f"{year}-06-30T09:00", "ends_at": f"{year}-06-01T09:00"}, headers=HX)
    assert bad.status_code == 422
    for message in ("评分表“质量信得过班组建设成果评审表”不适用于小组成果", "创新型评分表应为本年度的评分表",
                    "截止时间应晚于开始时间"):
        assert message in bad.text
    assert f'value="{year}-06-30T09:00"' in bad.text  # what was typed is kept
    empty = admin_client.post("/admin/review/rounds/new", data={"kind": "x", "stage": "R9"}, headers=HX)
    for message in ("请选择类型", "请选择评审轮次", "请选择评分表", "请填写开始时间", "请填写截止时间"):
        assert message in empty.text
    garbled = admin_client.post("/admin/review/rounds/new", data={
        "kind": "team", "stage": "R1", "rubric_id": "99999999999", "starts_at": "明天", "ends_at": "x"}, headers=HX)
    assert "评分表应为本年度的评分表" in garbled.text and "开始时间格式应为" in garbled.text
    review.round(kind="team", stage="R1", rubric="BZ")
    duplicate = admin_client.post("/admin/review/rounds/new", data={
        "kind": "team", "stage": "R1", "rubric_id": rubrics["BZ"], "starts_at": f"{year}-06-01T09:00",
        "ends_at": f"{year}-06-30T09:00"}, headers=HX)
    assert duplicate.status_code == 422 and f"{year}年度班组成果的资料评审（初评）已存在" in duplicate.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ReviewRound.id))) == 1


def test_edit_round_times_and_no_rubric_change_once_started(app, admin_client, review):
    year, rubrics = review.year(), review.rubrics()
    round_id = review.round(started=True)
    form = admin_client.get(f"/admin/review/rounds/{round_id}/edit").text
    assert "修改评审轮次" in form and "资料评审（初评）" in form
    changed = admin_client.post(f"/admin/review/rounds/{round_id}/edit", data={
        "rubric_id": rubrics["QC-IN"], "starts_at": f"{year}-01-01T08:00", "ends_at": f"{year + 1}-01-01T08:00"},
        headers=HX)
    assert changed.status_code == 422 and "评审已开始，不能更换评分表" in changed.text
    extended = admin_client.post(f"/admin/review/rounds/{round_id}/edit", data={
        "kind": "team", "stage": "R2", "rubric_id": rubrics["QC-PS"], "starts_at": f"{year}-01-01T08:00",
        "ends_at": f"{year + 1}-01-01T08:00"}, headers=HX)
    assert extended.status_code == 204
    with app.app_context():
        row = db.session.get(ReviewRound, round_id)
        assert (row.kind, row.stage, row.rubric_id) == ("group", "R1", rubrics["QC-PS"])  # kind and stage fixed
        assert row.ends_at == datetime(year + 1, 1, 1, 0, 0)  # 08:00 China time
    assert "review_round.update" in _actions(app)
    assert admin_client.get("/admin/review/rounds/999999/edit").status_code == 404
    assert admin_client.post("/admin/review/rounds/999999/edit", data={}).status_code == 404


# ---- 评分表 ------------------------------------------------------------------------------------------

def test_rubric_list_copy_and_edit_with_total(app, admin_client, review):
    year, rubrics = review.year(), review.rubrics()
    listing = admin_client.get("/admin/review/rubrics").text
    for text in ("问题解决型课题成果评审表", "发表评审表", "小组、班组通用", ">28<", ">100<", "可修改", "复制到新年度"):
        assert text in listing
    copied = admin_client.post(f"/admin/review/rubrics/{rubrics['QC-PS']}/copy", data={"year": year + 1})
    assert copied.status_code == 303
    with app.app_context():
        copy = db.session.execute(db.select(Rubric).filter_by(code="QC-PS", year=year + 1)).scalar_one()
        copy_id = copy.id
        assert [i.max_points_c for i in copy.items] == [1500, 3000, 2000, 2000, 500, 1000]
    assert copied.headers["Location"] == f"/admin/review/rubrics/{copy_id}"
    again = admin_client.post(f"/admin/review/rubrics/{rubrics['QC-PS']}/copy", data={"year": year + 1})
    assert f"{year + 1}年度已有评分表QC-PS" in admin_client.get(again.headers["Location"]).text
    editor = admin_client.get(f"/admin/review/rubrics/{copy_id}").text
    for label in ("序号", "评审项目", "评审方法", "评审内容", "配分", "合计", 'data-rubric-total="#rubric-total"',
                  '<output id="rubric-total" aria-live="polite">100</output>'):
        assert label in editor
    data = {"name": "问题解决型课题成果评审表（修订）",
            "item_name": ["选题", "原因分析", "", "特点"], "item_method": ["", "", "", ""],
            "item_content": ["内容一", "内容二", "", "内容四"], "item_points": ["15.5", "30.555", "", "0"]}
    refused = admin_client.post(f"/admin/review/rubrics/{copy_id}", data=data, headers=HX)
    assert refused.status_code == 422
    assert "第2项原因分析的配分应为大于0、不超过100的数，最多两位小数" in refused.text
    assert "第3项特点的配分应为大于0" in refused.text  # the blank row is skipped in the numbering
    assert 'value="30.555"' in refused.text
    no_name = admin_client.post(f"/admin/review/rubrics/{copy_id}", data=dict(data, item_name=["", "原因分析", "", "特点"],
                                                                             item_points=["15", "30", "", "8.5"]),
                                headers=HX)
    assert "第1项请填写评审项目" in no_name.text
    saved = admin_client.post(f"/admin/review/rubrics/{copy_id}", data=dict(data, item_points=["15.5", "30", "", "8.5"]),
                              headers=HX)
    assert saved.status_code == 204
    with app.app_context():
        copy = db.session.get(Rubric, copy_id)
        assert copy.name == "问题解决型课题成果评审表（修订）"
        assert [(i.seq, i.name, i.max_points_c) for i in copy.items] == [(1, "选题", 1550), (2, "原因分析", 3000),
                                                                       (3, "特点", 850)]
        assert db.session.get(Rubric, rubrics["QC-PS"]).total_c == 10000  # the original is untouched
    assert "合计54分" in admin_client.get(saved.headers["HX-Redirect"]).text
    assert {"rubric.copy", "rubric.update"} <= set(_actions(app))
    assert all(a in ACTION_LABELS for a in _actions(app))
    assert admin_client.get("/admin/review/rubrics/999999").status_code == 404
    assert admin_client.post("/admin/review/rubrics/999999/copy", data={"year": year}).status_code == 404


def test_a_rubric_used_by_a_started_round_is_frozen(app, admin_client, review):
    rubrics = review.rubrics()
    review.round(started=False, rubric="QC-PS")
    assert "可修改" in admin_client.get("/admin/review/rubrics").text
    review.round(kind="team", stage="R1", rubric="BZ", started=True)
    listing = admin_client.get("/admin/review/rubrics").text
    assert "已冻结" in listing
    page = admin_client.get(f"/admin/review/rubrics/{rubrics['BZ']}").text
    assert "已冻结，不能再修改" in page and 'name="item_points"' not in page
    attempt = admin_client.post(f"/admin/review/rubrics/{rubrics['BZ']}", data={
        "name": "改", "item_name": ["甲"], "item_points": ["100"]}, headers=HX)
    assert attempt.status_code == 409
    with app.app_context():
        assert len(db.session.get(Rubric, rubrics["BZ"]).items) == 6
    # A round using it as 创新型 rubric freezes it too.
    with app.app_context():
        row = db.session.execute(db.select(ReviewRound).filter_by(kind="group")).scalar_one()
        row.innovative_rubric_id, row.starts_at = rubrics["QC-IN"], utcnow() - timedelta(minutes=1)
        db.session.commit()
    assert "已冻结" in admin_client.get(f"/admin/review/rubrics/{rubrics['QC-IN']}").text


# ---- 专业组管理 --------------------------------------------------------------------------------------

def test_groups_members_and_one_leader(app, admin_client, review):
    round_id = review.round()
    team_round = review.round(kind="team", stage="R1", rubric="BZ")
    a = review.expert("甲专家", "中国石化研究院")
    b = review.expert("乙专家", kinds=("group", "team"))
    team_only = review.expert("丙专家", kinds=("team",))
    stopped = review.expert("丁专家", enabled=False)
    page = admin_client.get(f"/admin/review/groups?round={round_id}").text
    assert "本轮还没有专业组" in page
    created = admin_client.post(f"/admin/review/rounds/{round_id}/groups", data={"name": "第一专业组"})
    assert created.status_code == 303 and created.headers["Location"] == f"/admin/review/groups?round={round_id}"
    page = admin_client.get(created.headers["Location"]).text
    assert "已新增专业组“第一专业组”" in page
    assert "甲专家" in page and "乙专家" in page and "丙专家" not in page and "丁专家" not in page
    duplicate = admin_client.post(f"/admin/review/rounds/{round_id}/groups", data={"name": "第一专业组"})
    assert duplicate.status_code == 422 and "本轮已有专业组“第一专业组”" in duplicate.text
    assert "请填写专业组名称" in admin_client.post(f"/admin/review/rounds/{round_id}/groups", data={"name": " "}).text
    admin_client.post(f"/admin/review/rounds/{round_id}/groups", data={"name": "第二专业组"})
    with app.app_context():
        from app.review.models import ReviewGroup
        first, second = db.session.execute(db.select(ReviewGroup.id).where(ReviewGroup.round_id == round_id)
                                           .order_by(ReviewGroup.id)).scalars().all()
    assert admin_client.post(f"/admin/review/groups/{first}/members", data={"expert_id": a}).status_code == 303
    admin_client.post(f"/admin/review/groups/{first}/members", data={"expert_id": b})
    wrong_kind = admin_client.post(f"/admin/review/groups/{first}/members", data={"expert_id": team_only})
    assert wrong_kind.status_code == 422 and "评委丙专家的评审类型不含小组成果" in wrong_kind.text
    assert "评委丁专家已停用" in admin_client.post(f"/admin/review/groups/{first}/members",
                                                 data={"expert_id": stopped}).text
    assert "请选择评委" in admin_client.post(f"/admin/review/groups/{first}/members", data={"expert_id": ""}).text
    twice = admin_client.post(f"/admin/review/groups/{second}/members", data={"expert_id": a})
    assert twice.status_code == 422 and "评委甲专家已在本轮的专业组“第一专业组”中" in twice.text
    # … but the same expert may join a group of another round whose kind he or she reviews.
    team_group = review.group(team_round, "班组组")
    assert admin_client.post(f"/admin/review/groups/{team_group}/members", data={"expert_id": b}).status_code == 303
    with app.app_context():
        members = db.session.execute(db.select(ReviewGroupMember).where(ReviewGroupMember.group_id == first)
                                     .order_by(ReviewGroupMember.id)).scalars().all()
        assert [(m.expert_id, m.is_leader) for m in members] == [(a, True), (b, False)]
        member_a, member_b = members[0].id, members[1].id
    page = admin_client.get(f"/admin/review/groups?round={round_id}").text
    for label in ("序号", "分组", "账号", "专家名称", "工作单位", "组长", "签章", "操作", "设为组长", "移出", "中国石化研究院"):
        assert label in page
    refused = admin_client.post(f"/admin/review/groups/{first}/members/{member_a}/remove")
    assert refused.status_code == 422 and "甲专家是组长，请先将其他评委设为组长" in refused.text
    assert admin_client.post(f"/admin/review/groups/{first}/members/{member_b}/leader").status_code == 303
    with app.app_context():
        leaders = db.session.execute(db.select(ReviewGroupMember.expert_id).where(
            ReviewGroupMember.group_id == first, ReviewGroupMember.is_leader.is_(True))).scalars().all()
        assert leaders == [b]
    assert admin_client.post(f"/admin/review/groups/{first}/members/{member_a}/remove").status_code == 303
    assert "删除本组" not in admin_client.get(f"/admin/review/groups?round={round_id}").text.split("第一专业组")[1] \
        .split("第二专业组")[0]
    assert "还有评委" in admin_client.post(f"/admin/review/groups/{first}/delete").text
    assert admin_client.post(f"/admin/review/groups/{second}/delete").status_code == 303
    # Wrong ids: a missing group, a member of another group.
    assert admin_client.post(f"/admin/review/groups/{second}/members", data={"expert_id": a}).status_code == 404
    assert admin_client.post(f"/admin/review/groups/{team_group}/members/{member_b}/leader").status_code == 404
    assert admin_client.post(f"/admin/review/groups/{team_group}/members/{member_b}/remove").status_code == 404
    assert admin_client.post("/admin/review/rounds/999999/groups", data={"name": "x"}).status_code == 404
    actions = set(_actions(app))
    assert {"review_group.create", "review_group.member_add", "review_group.leader", "review_group.member_remove",
            "review_group.delete"} <= actions and actions <= set(ACTION_LABELS)


def test_groups_page_without_rounds(admin_client, review):
    assert "尚未设置评审轮次" in admin_client.get("/admin/review/groups").text


def test_csrf_is_required(app, admin_client, review):
    round_id = review.round()
    response = admin_client.post(f"/admin/review/rounds/{round_id}/groups", data={"name": "组"}, csrf=False)
    assert response.status_code in (400, 403)
    with app.app_context():
        from app.review.models import ReviewGroup
        assert db.session.scalar(db.select(db.func.count(ReviewGroup.id))) == 0

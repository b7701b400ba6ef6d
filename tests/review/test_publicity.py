"""公示, 异议 and 正式发布 (spec B11, C-S10, C-U12): the notice with xlsx and PDF lists, 异议 filed by units and
recorded by the secretariat, 调整 with audit, 正式发布 gates, 证书编号, and what units see before and after."""
import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.core.clock import china_today, utcnow
from app.core.extensions import db
from app.core.models import AuditLog, Notice
from app.review.models import AwardPlan, AwardResult, Objection, Publicity
from tests.conftest import freeze_clock
from tests.secretariat.conftest import decl  # noqa: F401
from tests.declarations.documents.conftest import pdf_text, squeeze

PUNCTUATED_GROUP = "炼油一部“攻坚”QC小组（第一）"
TITLE_A = "降低常减压装置能耗（一期）：节能、降耗"


@dataclass
class Setup:
    year: int
    unit_a: object
    unit_b: object
    g1: int
    g2: int
    g3: int
    t1: int


@pytest.fixture
def awards(app, make, decl):
    """Unit A (group g1 一等, team t1 三等) and unit B (group g2 二等, g3 未获奖), results written directly."""
    unit_a = make.unit(name="甲化工有限公司")
    unit_b = make.unit(name="乙石化有限公司")
    year = decl.year()
    g1 = decl.declaration(unit_a, status="accepted", title=TITLE_A, group_name=PUNCTUATED_GROUP,
                          enterprise_name="中国石化（北京）燕山分公司")
    g2 = decl.declaration(unit_b, status="accepted", title="=HYPERLINK(\"http://x\")提高收率")
    g3 = decl.declaration(unit_b, status="accepted")
    t1 = decl.declaration(unit_a, kind="team", status="accepted")
    with app.app_context():
        for declaration_id, kind, level, score in ((g1, "group", "一等", 9000), (g2, "group", "二等", 8000),
                                                   (g3, "group", "未获奖", 5000), (t1, "team", "三等", 7000)):
            db.session.add(AwardResult(declaration_id=declaration_id, year=year, kind=kind, level=level,
                                       computed_level=level, level_score_c=score))
        db.session.commit()
    return Setup(year, unit_a, unit_b, g1, g2, g3, t1)


def xlsx_rows(data):
    """The rows of the first sheet of an xlsx file."""
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


def lock(app, year, *kinds):
    """定级锁定 of the kinds (what h4's page does), written directly."""
    with app.app_context():
        for kind in kinds:
            plan = db.session.execute(db.select(AwardPlan).filter_by(year=year, kind=kind)).scalar() \
                or AwardPlan(year=year, kind=kind)
            plan.locked_at = utcnow()
            db.session.add(plan)
        db.session.commit()


def create(client, kind="group", **values):
    data = {"kind": kind, "title": f"{kind}公示", "starts_on": china_today().isoformat(),
            "ends_on": (china_today() + timedelta(days=7)).isoformat(), "contact": "联系人：张三 010-84885418"}
    data.update(values)
    return client.post("/admin/publicity", data=data)


def publicity_id(app):
    with app.app_context():
        return db.session.execute(db.select(Publicity.id).order_by(Publicity.id.desc())).scalars().first()


def actions(app, prefix):
    with app.app_context():
        return [a for a in db.session.execute(db.select(AuditLog.action)).scalars() if a.startswith(prefix)]


def test_the_form_has_the_defaults(app, admin_client, awards):
    page = admin_client.get("/admin/publicity").text
    assert f"{awards.year}年度石油和化工行业优秀质量管理小组活动成果和质量信得过班组建设活动成果评审结果公示" in page
    assert f'value="{china_today().isoformat()}"' in page
    assert f'value="{(china_today() + timedelta(days=7)).isoformat()}"' in page
    for label in ("公示标题", "公示开始日期", "公示截止日期", "发布公示"):
        assert label in page


def test_publicity_is_refused_before_lock(app, admin_client, awards):
    response = create(admin_client, "both")
    assert response.status_code == 422
    assert f"{awards.year}年度小组成果尚未定级锁定，定级锁定后才能发布公示。" in response.text
    lock(app, awards.year, "group")
    response = create(admin_client, "both")
    assert "班组成果尚未定级锁定" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Publicity)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Notice)) == 0


def test_form_errors_are_beside_the_fields(app, admin_client, awards):
    lock(app, awards.year, "group")
    response = create(admin_client, title="", ends_on=(china_today() - timedelta(days=1)).isoformat(),
                      contact="a\x01b")
    assert response.status_code == 422
    assert "请填写公示标题。" in response.text
    assert "公示截止日期不能早于公示开始日期。" in response.text
    assert "联系方式含有不可见的控制字符" in response.text


def test_notice_on_the_home_page_with_xlsx_and_pdf(app, client, admin_client, awards):
    lock(app, awards.year, "group", "team")
    response = create(admin_client, "both", title="评审结果公示")
    assert response.status_code == 303
    anonymous = app.test_client()
    home = anonymous.get("/").text
    assert "评审结果公示" in home
    links = re.findall(r'href="(/notices/attachments/\d+)"[^>]*>([^<]+)<', home)
    names = {name: url for url, name in links}
    assert {"评审结果公示.xlsx", "评审结果公示.pdf"} <= set(names)
    assert "联系人：张三 010-84885418" in home and "公示期：" in home

    data = anonymous.get(names["评审结果公示.xlsx"]).data
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["小组成果", "班组成果"]
    rows = list(book["小组成果"].iter_rows(values_only=True))
    assert rows[1] == ("序号", "成果名称", "小组名称", "企业名称", "申报单位", "评定等级")
    assert rows[2] == (1, TITLE_A, PUNCTUATED_GROUP, "中国石化（北京）燕山分公司", "甲化工有限公司", "一等")
    assert rows[3][5] == "二等" and rows[3][1].startswith("=HYPERLINK")
    assert book["小组成果"].cell(4, 2).data_type == "s"  # text, not a formula
    assert len(rows) == 4  # 未获奖 is not listed
    assert list(book["班组成果"].iter_rows(values_only=True))[1][2] == "班组名称"

    pdf = anonymous.get(names["评审结果公示.pdf"]).data
    assert pdf.startswith(b"%PDF")
    text = squeeze(pdf_text(pdf))  # a long cell wraps: line breaks removed, every character kept
    assert f"1{squeeze(TITLE_A)}{PUNCTUATED_GROUP}中国石化（北京）燕山分公司甲化工有限公司一等" in text
    assert "评定等级" in pdf_text(pdf)
    assert actions(app, "publicity.") == ["publicity.create"]


def test_a_second_publicity_of_the_same_kind_is_refused(app, admin_client, awards):
    lock(app, awards.year, "group", "team")
    assert create(admin_client, "group").status_code == 303
    response = create(admin_client, "both")
    assert response.status_code == 422 and "小组成果已发布过公示" in response.text
    assert create(admin_client, "team").status_code == 303


@pytest.fixture
def open_group(app, admin_client, awards):
    """A 公示 of the group results, open today."""
    lock(app, awards.year, "group", "team")
    assert create(admin_client, "group").status_code == 303
    return publicity_id(app)


def login_at(app, client, user, now):
    """A session that began at `now` (the models' default times come from the real clock)."""
    from app.accounts.sessions import UserSession
    from app.core.tokens import hash_token, new_token

    token = new_token()
    with app.app_context():
        db.session.add(UserSession(token_hash=hash_token(token), user_id=user.id, created_at=now,
                                   last_seen_at=now))
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def unit_login(app, auth, user):
    client = app.test_client()
    auth.login(client, user)
    return client


def test_unit_files_an_objection(app, auth, awards, open_group):
    client = unit_login(app, auth, awards.unit_b.user)
    page = client.get("/results/").text
    assert "提出异议" in page
    form = client.get(f"/results/publicity/{open_group}/objection").text
    assert TITLE_A in form and "提高收率" in form
    assert f'value="{awards.t1}"' not in form  # a team achievement is not in the group 公示
    response = client.post(f"/results/publicity/{open_group}/objection",
                           data={"declaration_id": str(awards.t1), "content": "", "submitter_name": "",
                                 "phone": "123"})
    assert response.status_code == 422
    for message in ("请选择涉及成果", "请填写异议内容。", "请填写联系人。", "请输入11位手机号码或座机号码"):
        assert message in response.text
    response = client.post(f"/results/publicity/{open_group}/objection",
                           data={"declaration_id": str(awards.g1), "content": "x" * 1001,
                                 "submitter_name": "李四", "phone": "13912345678"})
    assert "异议内容不能超过1000字" in response.text
    response = client.post(f"/results/publicity/{open_group}/objection",
                           data={"declaration_id": str(awards.g1), "content": "成果数据与实际不符。",
                                 "submitter_name": "李四", "phone": "010-84885418"})
    assert response.status_code == 303
    with app.app_context():
        row = db.session.execute(db.select(Objection)).scalar_one()
        assert (row.declaration_id, row.submitted_by_unit_id, row.status) == \
            (awards.g1, awards.unit_b.id, "open")
    assert actions(app, "objection.") == ["objection.file"]
    page = client.get("/results/").text
    assert "本单位提出的异议" in page and "待处理" in page


def test_no_objection_for_a_closed_publicity(app, auth, admin_client, awards, open_group):
    assert admin_client.post(f"/admin/publicity/{open_group}/end").status_code == 303
    client = unit_login(app, auth, awards.unit_b.user)
    assert "提出异议" not in client.get("/results/").text
    response = client.post(f"/results/publicity/{open_group}/objection",
                           data={"declaration_id": str(awards.g1), "content": "异议", "submitter_name": "李四",
                                 "phone": "13912345678"}, follow_redirects=True)
    assert "该公示已结束，不能再在线提出异议" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Objection)) == 0


def test_secretariat_records_and_handles_with_adjustment(app, admin_client, awards, open_group):
    url = f"/admin/publicity/{open_group}/objections/new"
    assert "提出人" in admin_client.get(url).text
    response = admin_client.post(url, data={"declaration_id": str(awards.g2), "content": "电话反映：材料雷同。",
                                            "submitter_name": "王先生", "phone": "13800001111"})
    assert response.status_code == 303
    with app.app_context():
        objection = db.session.execute(db.select(Objection)).scalar_one()
        assert objection.submitted_by_unit_id is None
    detail = admin_client.get(f"/admin/publicity/{open_group}").text
    for label in ("提出人", "联系电话", "涉及成果", "异议内容", "处理结果", "状态", "王先生", "待处理"):
        assert label in detail
    handle = f"/admin/objections/{objection.id}/handle"
    response = admin_client.post(handle, data={"decision": "adjust", "handling": "经核实调整。", "level": "二等",
                                               "reason": ""})
    assert response.status_code == 422
    assert "请填写调整原因。" in response.text and "与原等级（二等）相同" in response.text
    response = admin_client.post(handle, data={"decision": "adjust", "handling": "经核实，调整为三等。",
                                               "level": "三等", "reason": "评审委员会复核", "reissue": "1"})
    assert response.status_code == 303
    with app.app_context():
        result = db.session.execute(db.select(AwardResult).filter_by(declaration_id=awards.g2)).scalar_one()
        assert (result.level, result.override_reason) == ("三等", "评审委员会复核")
        assert db.session.get(Objection, objection.id).status == "adjusted"
        entry = db.session.execute(db.select(AuditLog).filter_by(action="award_result.override")).scalar_one()
        assert "二等 → 三等" in entry.summary and "评审委员会复核" in entry.detail
    assert actions(app, "publicity.") == ["publicity.create", "publicity.reissue"]
    home = app.test_client().get("/").text
    xlsx_url = re.search(r'href="(/notices/attachments/\d+)"[^>]*>group公示\.xlsx<', home).group(1)
    rows = xlsx_rows(app.test_client().get(xlsx_url).data)
    assert rows[3][5] == "三等"
    assert "已处理（调整）" in admin_client.get(f"/admin/publicity/{open_group}").text
    # a handled objection cannot be handled again
    response = admin_client.post(handle, data={"decision": "keep", "handling": "再次"})
    assert "该异议已处理" in response.text


def test_keep_needs_a_handling_result(app, admin_client, awards, open_group):
    admin_client.post(f"/admin/publicity/{open_group}/objections/new",
                      data={"declaration_id": str(awards.g1), "content": "邮件", "submitter_name": "赵",
                            "phone": "13800001111"})
    with app.app_context():
        objection_id = db.session.execute(db.select(Objection.id)).scalar_one()
    response = admin_client.post(f"/admin/objections/{objection_id}/handle", data={"decision": "keep"})
    assert "请填写处理结果。" in response.text
    response = admin_client.post(f"/admin/objections/{objection_id}/handle",
                                 data={"decision": "keep", "handling": "经核实，维持原等级。"})
    assert response.status_code == 303
    assert "已处理（维持）" in admin_client.get(f"/admin/publicity/{open_group}").text


def test_publish_gates_numbers_and_what_units_see(app, auth, monkeypatch, admin_client, awards, open_group):
    unit = unit_login(app, auth, awards.unit_a.user)
    page = unit.get("/results/").text
    assert page.count("评审中") >= 2
    for hidden in ("一等", "三等", "9000", "90.00", "CPCIF"):
        assert hidden not in page.split("<main")[1]

    admin_client.post(f"/admin/publicity/{open_group}/objections/new",
                      data={"declaration_id": str(awards.g1), "content": "邮件", "submitter_name": "赵",
                            "phone": "13800001111"})
    with app.app_context():
        ends_on = db.session.get(Publicity, open_group).ends_on
        objection_id = db.session.execute(db.select(Objection.id)).scalar_one()
    # 23:00 China time on the last day of the 公示, then 00:30 the next day (sessions begin at the frozen time)
    clock = freeze_clock(monkeypatch, datetime.combine(ends_on, datetime.min.time()) + timedelta(hours=15))
    login_at(app, admin_client, admin_client.user, clock.now)
    login_at(app, unit, awards.unit_a.user, clock.now)
    response = admin_client.post(f"/admin/publicity/{open_group}/publish", follow_redirects=True)
    assert "公示期至" in response.text and "（含当日），公示期结束后才能正式发布。" in response.text
    clock.advance(hours=1, minutes=30)
    response = admin_client.post(f"/admin/publicity/{open_group}/publish", follow_redirects=True)
    assert "还有1条异议待处理，全部处理后才能正式发布。" in response.text
    with app.app_context():
        assert db.session.get(Publicity, open_group).status == "open"
        assert db.session.execute(db.select(AwardResult.certificate_no)).scalars().all() == [None] * 4
    admin_client.post(f"/admin/objections/{objection_id}/handle",
                      data={"decision": "keep", "handling": "维持。"})
    response = admin_client.post(f"/admin/publicity/{open_group}/publish", follow_redirects=True)
    assert "已正式发布评审结果" in response.text
    with app.app_context():
        numbers = dict(db.session.execute(
            db.select(AwardResult.declaration_id, AwardResult.certificate_no)).all())
        assert numbers[awards.g1] == f"CPCIF-QC-{awards.year}-0001"
        assert numbers[awards.g2] == f"CPCIF-QC-{awards.year}-0002"
        assert numbers[awards.g3] is None and numbers[awards.t1] is None  # 未获奖; teams not published
        plan = db.session.execute(db.select(AwardPlan).filter_by(year=awards.year, kind="group")).scalar_one()
        assert plan.published_at is not None
        assert db.session.get(Publicity, open_group).final_notice_id is not None
    assert "publicity.publish" in actions(app, "publicity.")

    page = unit.get("/results/").text
    assert "一等" in page and f"CPCIF-QC-{awards.year}-0001" in page
    assert "三等" not in page  # the team kind is not published yet
    home = app.test_client().get("/").text
    xlsx_url = re.search(r'href="(/notices/attachments/\d+)"[^>]*>[^<]*获奖名单\.xlsx<', home).group(1)
    rows = xlsx_rows(app.test_client().get(xlsx_url).data)
    assert rows[1] == ("序号", "评定等级", "成果名称", "小组/班组名称", "企业名称", "申报单位", "主要完成人", "证书编号")
    assert rows[2] == (1, "一等", TITLE_A, PUNCTUATED_GROUP, "中国石化（北京）燕山分公司", "甲化工有限公司",
                       "王五，李四，张三", f"CPCIF-QC-{awards.year}-0001")
    response = admin_client.post(f"/admin/publicity/{open_group}/publish", follow_redirects=True)
    assert "已正式发布" in response.text


def test_permissions(app, auth, make, review, awards, open_group):
    admin_client = app.test_client()
    auth.login(admin_client, make.secretariat())
    admin_client.post(f"/admin/publicity/{open_group}/objections/new",
                      data={"declaration_id": str(awards.g1), "content": "邮件", "submitter_name": "赵",
                            "phone": "13800001111"})
    unit_b = unit_login(app, auth, awards.unit_b.user)
    unit_b.post(f"/results/publicity/{open_group}/objection",
                data={"declaration_id": str(awards.g1), "content": "异议", "submitter_name": "李四",
                      "phone": "13912345678"})
    with app.app_context():
        recorded, filed = db.session.execute(db.select(Objection.id).order_by(Objection.id)).scalars().all()
    assert unit_b.get(f"/results/objections/{filed}").status_code == 200
    unit_a = unit_login(app, auth, awards.unit_a.user)
    assert unit_a.get(f"/results/objections/{filed}").status_code == 404
    assert unit_a.get(f"/results/objections/{recorded}").status_code == 404
    assert unit_a.get("/results/publicity/999999/objection").status_code == 404
    expert = app.test_client()
    auth.login(expert, make.expert())
    for url in ("/admin/publicity", f"/admin/publicity/{open_group}", f"/admin/objections/{filed}/handle",
                "/results/", f"/results/objections/{filed}"):
        assert expert.get(url).status_code == 403, url
    assert expert.post(f"/admin/publicity/{open_group}/publish").status_code == 403
    assert unit_a.get("/admin/publicity").status_code == 403
    assert unit_a.post(f"/admin/publicity/{open_group}/end").status_code == 403
    with app.app_context():
        assert db.session.get(Publicity, open_group).status == "open"


@pytest.mark.parametrize("count", [3, 300])
def test_query_counts_do_not_grow_with_rows(app, auth, admin_client, count_queries, review, awards,
                                            open_group, count):
    """The 公示 page (名单 and 异议) and the unit's 评审结果 page: the same statements for 3 and 300 rows."""
    ids = review.declarations(count, units=2)
    with app.app_context():
        for n, declaration_id in enumerate(ids):
            db.session.add(AwardResult(declaration_id=declaration_id, year=awards.year, kind="group",
                                       level="三等", level_score_c=6000 + n))
            db.session.add(Objection(publicity_id=open_group, declaration_id=declaration_id,
                                     submitter_name="甲", phone="13800001111", content="异议",
                                     submitted_by_unit_id=awards.unit_a.id))
        db.session.commit()
    unit = unit_login(app, auth, awards.unit_a.user)
    unit.get("/results/")
    admin_client.get(f"/admin/publicity/{open_group}")
    with count_queries() as admin_statements:
        assert admin_client.get(f"/admin/publicity/{open_group}").status_code == 200
    with count_queries() as unit_statements:
        assert unit.get("/results/").status_code == 200
    assert len(admin_statements) <= 12, admin_statements
    assert len(unit_statements) <= 10, unit_statements


def test_publish_is_refused_when_the_level_was_unlocked(app, admin_client, awards, open_group):
    with app.app_context():
        row = db.session.get(Publicity, open_group)
        row.starts_on, row.ends_on = row.starts_on - timedelta(days=9), row.ends_on - timedelta(days=9)
        db.session.execute(db.update(AwardPlan).where(AwardPlan.kind == "group").values(locked_at=None))
        db.session.commit()
    detail = admin_client.get(f"/admin/publicity/{open_group}").text
    assert "公示附件" in detail and "group公示.xlsx" in detail and "group公示.pdf" in detail
    response = admin_client.post(f"/admin/publicity/{open_group}/publish", follow_redirects=True)
    assert "小组成果的定级已解锁" in response.text
    with app.app_context():
        assert db.session.get(Publicity, open_group).status == "open"
    lock(app, awards.year, "group")
    response = admin_client.post(f"/admin/publicity/{open_group}/publish", follow_redirects=True)
    assert "已正式发布评审结果" in response.text and "获奖名单" in response.text

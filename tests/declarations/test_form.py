"""申报表 (A3/A4, A12, Part F 2–4): prefill, exact values, limits, 申报编号, one declaration per filing, 保存 / 提交."""
import re
from datetime import date

import pytest

from app.core.extensions import db
from app.models import AuditLog, Declaration, FormalCheck, OutboxMail
from tests.declarations.conftest import GROUP_FORM, HX, TEAM_FORM, complete, create, png_bytes, upload


def _declaration(app, declaration_id):
    with app.app_context():
        declaration = db.session.get(Declaration, declaration_id)
        db.session.expunge(declaration)
        return declaration


def _save(client, declaration_id, **changes):
    return client.post(f"/declarations/{declaration_id}/edit", data=dict(GROUP_FORM, **changes), headers=HX)


def test_group_form_is_prefilled_from_the_filing_and_the_unit(unit_client, group_filing, make, unit):
    page = unit_client.get(f"/declarations/group/new/{group_filing.id}").text
    for label in ("成果名称（课题名称）", "质量管理小组名称", "企业名称（公章为准）", "详细通讯地址", "小组联系部门", "直接联系人",
                  "小组活动指导者", "小组长姓名", "小组人数", "主要完成人（不超过10人）", "课题类型", "目标类型", "经济效益（万元）",
                  "QC小组简介和主要活动过程与效果", "成果完成日期", "活动开始日期", "发表人", "基本信息", "成果信息", "简介",
                  "“课题类型”，请选择填写问题解决型、创新型。"):
        assert label in page, label
    assert 'value="降低常减压装置能耗"' in page and 'value="炼油一部攻关QC小组"' in page
    assert '<option value="问题解决型" selected>' in page and '<option value="自定目标" selected>' in page
    assert 'value="北京市朝阳区安慧里四区16号楼"' in page and 'value="100723"' in page  # the unit is the enterprise
    assert 'value="2023-05-10"' in page and group_filing.reg_no in page
    elsewhere = make.group(unit, year=2024, enterprise_name="另一家化工厂", topic_type="创新型")
    other = unit_client.get(f"/declarations/group/new/{elsewhere.id}").text
    assert 'id="f-address" name="address" value=""' in other and '<option value="创新型" selected>' in other


def test_team_form_labels_and_prefill(unit_client, team_filing):
    page = unit_client.get(f"/declarations/team/new/{team_filing.id}").text
    for label in ("质量信得过班组名称", "企业名称（以公章为准）", "主管部门", "座机", "班组长姓名", "班组人数", "主要完成人（不超过15人）",
                  "班组工作完成率（%）", "产品/服务满意度（％）", "产品/服务合格率（％）", "质量考核合格率（%）", "质量改进活动参与率（%）",
                  "质量成本（万元/年）", "年培训参与人数（人次）", "年顾客投诉数（个）", "年质量、安全事故数（个）",
                  "质量信得过班组简介及活动结果", "班组近三年无质量、安全、环保事故", "以“**班”、“**组”、“**工段”或“**室”等为名"):
        assert label in page, label
    assert 'value="常减压运行一班"' in page and 'value="010-84885418"' in page and "课题类型" not in page


def test_numbers_names_and_hundredths_are_stored_exactly(unit_client, app, group_filing):
    name = "中国石化（北京）燕山分公司【炼油】《一部》"
    declaration_id = create(unit_client, group_filing, dict(
        GROUP_FORM, enterprise_name=name, economic_benefit="１２３．４５万元", group_name="ＱＣ攻关“一号”小组：甲"))
    declaration = _declaration(app, declaration_id)
    assert declaration.enterprise_name == name and declaration.group_name == "QC攻关“一号”小组：甲"
    assert declaration.economic_benefit_c == 12345 and declaration.decl_no == "QCSB-2024-0001"
    assert declaration.main_contributors == ["王五", "李四", "张三", "赵六", "钱七", "孙八"]  # order kept
    assert declaration.topic_subtype == "自定目标" and declaration.completed_on == date(2023, 12, 20)
    page = unit_client.get(f"/declarations/{declaration_id}/edit").text
    assert 'value="123.45"' in page and "王五，李四，张三，赵六，钱七，孙八" in page


@pytest.mark.parametrize("field, value, message", [
    ("economic_benefit", "1.234", "经济效益（万元）最多保留两位小数。"),
    ("economic_benefit", "-1", "经济效益（万元）不能为负数。"),
    ("economic_benefit", "100000000", "经济效益（万元）不能大于99999999.99。"),
    ("economic_benefit", "一百", "经济效益（万元）应为数字"),
    ("member_count", "0", "小组人数应在1至999之间。"),
    ("member_count", "፩", "小组人数应为整数。"),  # isdigit() but no number for int(): was a 500
    ("member_count", "²", "小组人数应为整数。"),  # NFKC would make it 2
    ("economic_benefit", "²", "经济效益（万元）应为数字"),
    ("economic_benefit", "9" * 40, "经济效益（万元）应为数字"),  # Decimal's quantize failed: was a 500
    ("mobile", "1234", "请输入11位手机号码"),
    ("postcode", "10072", "邮编应为6位数字。"),
    ("completed_on", "2023-04-30", "成果完成日期应在2023年5月1日以后（通知要求2023年5月1日以后完成的成果）。"),
    ("completed_on", "2024-04-02", "成果完成日期不能晚于今天。"),
    ("started_on", "2024-01-01", "活动开始日期不能晚于成果完成日期。"),
    ("title", "降低\x07能耗", "成果名称（课题名称）含有不可见的控制字符"),
    ("summary", "正文\x1b[31m", "QC小组简介和主要活动过程与效果含有不可见的控制字符"),
    ("main_contributors", "、".join(f"完成人{i}" for i in range(11)), "主要完成人不能超过10人（现有11人）。"),
    ("main_contributors", "王五，李四，王五", "主要完成人“王五”重复填写。"),
    ("title", "长" * 301, "成果名称（课题名称）最多300个字（现有301个）。"),
])
def test_a_wrong_value_is_refused_beside_its_field_and_what_was_typed_stays(unit_client, app, group_filing, field,
                                                                            value, message):
    response = unit_client.post(f"/declarations/group/new/{group_filing.id}", headers=HX,
                                data=dict(GROUP_FORM, **{field: value}, submission_key="x"))
    assert response.status_code == 422
    error = re.search(rf'<span class="field-error" id="e-{field}">([^<]*)</span>', response.text)
    assert error and message in error.group(1), response.text[:3000]
    assert 'value="中国石化测试分公司"' in response.text  # the rest is kept as typed
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Declaration)) == 0


def test_completion_date_edge_and_tab_newline_are_allowed(unit_client, app, group_filing):
    declaration_id = create(unit_client, group_filing, dict(GROUP_FORM, completed_on="2023-05-01", started_on="",
                                                            summary="第一段\t说明\r\n第二段" + "内容" * 30))
    declaration = _declaration(app, declaration_id)
    assert declaration.completed_on == date(2023, 5, 1) and declaration.summary.startswith("第一段\t说明\n第二段")


def test_team_limits_and_name_suffix(unit_client, app, team_filing):
    def post(**changes):
        return unit_client.post(f"/declarations/team/new/{team_filing.id}", headers=HX,
                                data=dict(TEAM_FORM, submission_key="t", **changes))

    sixteen = post(main_contributors=" ".join(f"员工{i}" for i in range(16)))
    assert sixteen.status_code == 422 and "主要完成人不能超过15人（现有16人）。" in sixteen.text
    team_name = post(group_name="常减压运行一队")
    assert team_name.status_code == 422 and "以“**班”、“**组”、“**工段”或“**室”结尾" in team_name.text
    rate = post(rate_pass="100.01")
    assert rate.status_code == 422 and "产品/服务合格率（％）不能大于100。" in rate.text
    fifteen = post(main_contributors=",".join(f"员工{i}" for i in range(15)), rate_satisfaction="98.50%")
    assert fifteen.status_code == 204
    with app.app_context():
        declaration = db.session.scalar(db.select(Declaration))
        assert len(declaration.main_contributors) == 15 and declaration.rate_satisfaction_c == 9850
        assert declaration.decl_no == "BZSB-2024-0001" and declaration.rate_pass_c == 9999


def test_a_team_with_an_accident_or_without_the_pledge_cannot_submit(unit_client, app, team_filing):
    declaration_id = create(unit_client, team_filing, dict(TEAM_FORM, accidents="1", no_accident_pledge=""),
                            kind="team")
    complete(unit_client, declaration_id)
    response = unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX,
                                data=dict(TEAM_FORM, accidents="1", no_accident_pledge="", action="submit"))
    assert response.status_code == 422
    assert "班组近三年无质量、安全、环保事故方可申报，年质量、安全事故数应为0。" in response.text
    assert "请确认班组近三年无质量、安全、环保事故。" in response.text
    assert _declaration(app, declaration_id).status == "draft"
    fixed = unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX, data=dict(TEAM_FORM, action="submit"))
    assert fixed.status_code == 422 and "信息已修改，请重新打印、盖章后上传。" in fixed.text  # 事故数 is printed
    assert upload(unit_client, declaration_id, "stamped_form", png_bytes(), "重新盖章.png").status_code == 200
    assert unit_client.post(f"/declarations/{declaration_id}/submit").status_code == 303
    assert _declaration(app, declaration_id).status == "submitted"


def test_save_keeps_an_incomplete_draft_and_submit_names_every_problem(unit_client, app, group_filing):
    declaration_id = create(unit_client, group_filing, {"title": "只写了成果名称"})
    draft = _declaration(app, declaration_id)
    assert draft.status == "draft" and draft.title == "只写了成果名称" and draft.mobile == ""
    response = unit_client.post(f"/declarations/{declaration_id}/edit", headers=HX,
                                data={"title": "只写了成果名称", "summary": "太短", "action": "submit"})
    assert response.status_code == 422
    text = response.text
    for message in ("草稿已保存。以下问题更正后才能提交申报：", "请填写手机。", "请填写主要完成人（不超过10人）。",
                    "QC小组简介和主要活动过程与效果至少50字（现有2字）。", "请上传成果报告书（Word文档）。", "请上传活动记录。",
                    "请上传申报表盖章扫描件。"):
        assert message in text, message
    assert re.search(r'id="e-mobile">请填写手机。', text)
    assert "成果名称与备案课题名称“降低常减压装置能耗”不一致。" in text  # a warning, shown
    assert _declaration(app, declaration_id).summary == "太短"


def test_warnings_do_not_block_and_submit_sends_one_receipt(unit_client, app, group_filing, unit):
    declaration_id = create(unit_client, group_filing, dict(GROUP_FORM, title="与备案不同的成果名称" * 6, member_count="3"))
    complete(unit_client, declaration_id)
    page = unit_client.get(f"/declarations/{declaration_id}/edit").text
    assert "提示（不影响提交）" in page and "主要完成人（6人）多于小组人数（3人）。" in page and "成果名称超过50字" in page
    form = dict(GROUP_FORM, title="与备案不同的成果名称" * 6, member_count="3", action="submit")
    first = unit_client.post(f"/declarations/{declaration_id}/edit", data=form, headers=HX)
    assert first.status_code == 204 and first.headers["HX-Redirect"] == f"/declarations/{declaration_id}"
    again = unit_client.post(f"/declarations/{declaration_id}/submit")  # a second click
    assert again.status_code == 303
    with app.app_context():
        mails = db.session.scalars(db.select(OutboxMail)).all()
        assert len(mails) == 1 and mails[0].recipient == unit.email
        assert "QCSB-2024-0001" in mails[0].subject and "QCSB-2024-0001" in mails[0].body
        assert db.session.get(Declaration, declaration_id).submitted_at is not None
        actions = set(db.session.scalars(db.select(AuditLog.action)))
        assert {"declaration.create", "declaration.submit", "declaration.file_upload"} <= actions


def test_one_declaration_per_filing_and_one_per_double_click(unit_client, app, group_filing):
    page = unit_client.get(f"/declarations/group/new/{group_filing.id}").text
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    url = f"/declarations/group/new/{group_filing.id}"
    first = unit_client.post(url, data=dict(GROUP_FORM, submission_key=key), headers=HX)
    second = unit_client.post(url, data=dict(GROUP_FORM, submission_key=key), headers=HX)
    assert first.status_code == second.status_code == 204
    assert first.headers["HX-Redirect"] == second.headers["HX-Redirect"]
    other_tab = unit_client.post(url, data=dict(GROUP_FORM, submission_key="another-tab"), headers=HX)
    assert other_tab.status_code == 422
    assert "该小组本年度已申报（申报编号QCSB-2024-0001），不能重复申报。" in other_tab.text
    assert unit_client.get(url).status_code == 303  # to the existing declaration
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Declaration)) == 1


def test_numbers_are_never_reused_and_withdraw_and_delete(unit_client, app, make, unit, group_filing):
    first = create(unit_client, group_filing)
    assert unit_client.post(f"/declarations/{first}/delete").status_code == 303
    second_filing = make.group(unit, year=2024, group_name="第二个小组")
    second = create(unit_client, second_filing)
    assert _declaration(app, second).decl_no == "QCSB-2024-0002"
    again = create(unit_client, group_filing)
    assert _declaration(app, again).decl_no == "QCSB-2024-0003"
    complete(unit_client, again)
    assert unit_client.post(f"/declarations/{again}/submit").status_code == 303
    assert unit_client.post(f"/declarations/{again}/delete").status_code == 303  # not a draft: refused
    assert unit_client.post(f"/declarations/{again}/withdraw").status_code == 303
    assert _declaration(app, again).status == "draft"
    assert unit_client.post(f"/declarations/{again}/submit").status_code == 303
    with app.app_context():
        db.session.add(FormalCheck(declaration_id=again, conclusion="accepted"))
        db.session.commit()
    listed = unit_client.get("/declarations/group/").text
    assert ">撤回</button>" not in listed
    refused = unit_client.post(f"/declarations/{again}/withdraw", follow_redirects=True)
    assert "秘书处已开始形式审查" in refused.text
    assert _declaration(app, again).status == "submitted"

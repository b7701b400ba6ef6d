"""Chinese for the codes the records keep: 操作日志 actions and their details, 变更记录 fields and values.

The database keeps stable codes (unit.approve, status "pending", province "11"); every page of the
secretariat shows them in Chinese, never the code.
"""
import json

from app.accounts.models import ROLE_LABELS, STATUS_LABELS
from app.accounts.registration import FIELD_LABELS
from app.core.extensions import db
from app.core.models import Industry, Province
from app.filings.models import SOURCE_FORM, SOURCE_IMPORT, SOURCE_LINK_FORM, SOURCE_LINK_IMPORT
from app.secretariat.year_settings import LABELS as YEAR_LABELS

ACTION_LABELS = {
    "unit.register": "注册", "unit.approve": "审核通过注册", "unit.reject": "审核不通过注册",
    "unit.change_request": "提交变更申请", "unit.change_approve": "通过变更申请", "unit.change_reject": "驳回变更申请",
    "unit.profile": "修改资料", "unit.enable": "启用单位账号", "unit.disable": "停用单位账号",
    "account.create": "创建账号", "account.enable": "启用账号", "account.disable": "停用账号",
    "password.change": "修改密码", "password.reset": "重置密码", "password.reset_link": "发送重置密码链接",
    "login.locked": "登录锁定", "mail.resend": "重发邮件", "settings.year": "年度设置",
    "notice.create": "发布通知公告", "notice.update": "修改通知公告", "notice.delete": "删除通知公告",
    "notice.attachment_delete": "删除通知附件", "filing.export": "导出备案总览",
    "invitation.created": "邀请企业", "invitation.deleted": "删除邀请", "invitation.link_mailed": "发送邀请链接",
    "invitation.link_regenerated": "重新生成邀请链接", "unit_year_stat.save": "保存年度统计",
    "declaration.create": "新增成果申报", "declaration.update": "修改成果申报", "declaration.submit": "提交成果申报",
    "declaration.withdraw": "撤回成果申报", "declaration.delete": "删除成果申报草稿",
    "declaration.file_upload": "上传申报附件", "declaration.file_delete": "删除申报附件",
    "declaration.scan": "上传盖章件", "declaration.statistics_save": "保存活动统计表",
    "declaration.statistics_submit": "提交活动统计表", "declaration.expert_save": "保存推荐评委",
    "declaration.expert_delete": "删除推荐评委", "declaration.formal_check": "形式审查",
    "declaration.bulk_accept": "批量参评", "declaration.extension": "延长申报期限",
    "declaration.extension_removed": "取消延长申报期限", "declaration.export": "导出申报总览",
    "declaration.statistics_export": "导出统计汇总", "declaration.download": "下载申报材料",
    "expert.select": "遴选评委（入选）", "expert.decline": "遴选评委（未入选）", "expert.create": "新增评委",
    "expert.update": "修改评委", "expert.enable": "启用评委", "expert.disable": "停用评委",
    "expert.signature": "上传评委签章", "expert.password_link": "发送评委设置密码链接",
    "review_round.create": "新增评审轮次", "review_round.update": "修改评审轮次",
    "rubric.copy": "复制评分表", "rubric.update": "修改评分表",
    "review_group.create": "新增专业组", "review_group.delete": "删除专业组",
    "review_group.member_add": "专业组加入评委", "review_group.member_remove": "专业组移出评委",
    "review_group.leader": "设置专业组组长",
    "review_assignment.auto": "自动分组", "review_assignment.move": "分配到专业组",
    "avoidance.recheck": "重新检查回避", "avoidance.manual": "设为回避", "avoidance.cancel": "取消回避",
    "award.finalists": "设置决赛入围", "award.finalist": "确定/取消入围", "award.apply": "应用定级",
    "award.override": "调整评定等级", "award.lock": "定级锁定", "award.unlock": "解除定级锁定",
    "award.recompute": "重新计算成果得分", "award.export": "导出成果得分", "award.export_opinions": "导出专家组意见表",
    "score.save": "保存评分", "score.submit": "提交最终打分结果", "score.withdraw": "撤回打分提交",
    "score.reject": "驳回打分", "score.export": "导出专家打分情况",
    "round_result.recompute": "重新计算", "review_matrix.export": "导出评分矩阵",
    "avoidance.self": "申请回避", "review_group.opinions": "保存专家组意见", "review_group.confirm": "组长确认",
    "publicity.create": "发布公示", "publicity.end": "结束公示", "publicity.reissue": "重新发布公示名单",
    "publicity.publish": "正式发布评审结果", "objection.file": "提出异议", "objection.record": "登记异议",
    "objection.handle": "处理异议", "award_result.override": "调整评定等级",
    "certificate.background": "上传证书背景图", "certificate.download_all": "批量下载证书",
    "certificate.correction_request": "申请证书信息更正", "certificate.correction_approve": "同意证书信息更正",
    "certificate.correction_decline": "不同意证书信息更正",
}
for _kind, _label in (("group", "小组"), ("team", "班组")):
    for _verb, _text in (("create", "新增{}备案"), ("update", "修改{}备案"), ("delete", "删除{}备案"),
                         ("delete_for_invitation", "随邀请删除{}备案"), ("import", "导入{}备案"),
                         ("export", "导出{}备案")):
        ACTION_LABELS[f"{_kind}_filing.{_verb}"] = _text.format(_label)

KIND_LABELS = {"group": "小组", "team": "班组"}
SOURCE_LABELS = {SOURCE_FORM: "本单位录入", SOURCE_IMPORT: "本单位导入", SOURCE_LINK_FORM: "邀请链接录入",
                 SOURCE_LINK_IMPORT: "邀请链接导入"}
DETAIL_LABELS = {
    **FIELD_LABELS, **YEAR_LABELS,
    "changes": "申请变更", "reason": "原因", "count": "条数", "year": "年度", "source": "来源",
    "unit_id": "申报单位编号", "unit": "申报单位编号", "unit_q": "申报单位", "invitation_id": "邀请编号",
    "deleted_filings": "删除的备案", "kept_filings": "保留的备案", "enterprise_name": "企业名称",
    "file": "文件", "sha256": "文件校验值", "is_enabled": "账号状态", "kind": "类型", "recipient": "收件人",
    "version": "链接版本", "attachments": "附件", "attachments_added": "新增附件", "is_published": "在首页发布",
    "title": "标题", "body": "正文", "username": "登录账号", "display_name": "姓名", "role": "角色",
    "phone": "联系电话", "q": "搜索", "province": "所属省份", "industry": "所属行业",
    "open_filing_year": "开放备案年度", "group": "小组", "team": "班组",
    "starts_on": "公示开始日期", "ends_on": "公示截止日期", "level": "评定等级", "decision": "处理方式",
    "handling": "处理结果", "declaration": "申报编号", "submitter": "提出人", "certificates": "生成证书编号数",
    "objection": "异议编号",
}
LIST_KEYS = ("attachments", "attachments_added")  # plain lists; any other pair is [before, after]
VALUE_LABELS = {"kind": KIND_LABELS, "source": SOURCE_LABELS, "role": ROLE_LABELS, "status": STATUS_LABELS}


def action_label(action):
    """An action's Chinese name (a code nobody labelled yet reads 其他操作, never the code)."""
    return ACTION_LABELS.get(action, "其他操作")


def _value(key, value):
    if isinstance(value, bool):
        if key == "is_enabled":
            return "正常" if value else "已停用"
        return "是" if value else "否"
    if value is None or value == "":
        return "（空）"
    if isinstance(value, list):
        if len(value) == 2 and not isinstance(value[0], (list, dict)) and key not in LIST_KEYS:
            return f"{_value(key, value[0])} → {_value(key, value[1])}"  # [before, after]
        return "、".join(_value(key, v) for v in value) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_value(k, v)}" for k, v in value.items())
    return str(VALUE_LABELS.get(key, {}).get(value, value))


def describe_detail(detail):
    """[(label, text)] of an audit entry's JSON detail, in Chinese."""
    if not detail:
        return []
    try:
        data = json.loads(detail)
    except ValueError:
        return [("内容", detail)]
    if not isinstance(data, dict):
        return [("内容", _value("", data))]
    return [(DETAIL_LABELS.get(key, "其他"), _value(key, value)) for key, value in data.items()]


def reference_names():
    """{code: name} of provinces and industries (two small queries), for showing stored codes."""
    return {"province_code": dict(db.session.execute(db.select(Province.code, Province.name)).all()),
            "industry_code": dict(db.session.execute(db.select(Industry.code, Industry.name)).all())}


def change_value(field, value, names):
    """One 原值/新值 of a 变更记录 row as the clerk reads it."""
    if value is None or value == "":
        return ""
    if field == "status":
        return STATUS_LABELS.get(value, value)
    if field in names:
        return names[field].get(value, value)
    if field == "license_file_id":
        return f"文件（编号{value}）"
    return value


def field_label(field):
    """A 变更记录 field in Chinese."""
    return FIELD_LABELS.get(field, "其他")


def history_context():
    """What a 变更记录 table needs to show its rows in Chinese."""
    return {"names": reference_names(), "change_value": change_value, "field_label": field_label}

"""Fixtures for the filing tests: a logged-in unit, the open year, xlsx builders."""
import io
from datetime import date, datetime

import openpyxl
import pytest

from app.filings.xlsx.template import build_template

GROUP_ROW = {
    "企业名称": None, "小组名称": "攻关QC小组", "课题名称": "降低装置能耗", "课题类型": "创新型",
    "成立时间": datetime(2024, 3, 1), "课题注册时间": "2024年4月1日", "小组长": "王五", "小组人数": 7.0,
    "活动指导者": None, "联系人": "王五", "手机": 13912345678.0, "电子邮箱": "wangwu@example.com", "备注": None,
}
TEAM_ROW = {
    "企业名称": None, "班组名称": "常减压运行一班", "主管部门": "炼油一部", "班组长": "赵六", "班组人数": 12,
    "联系人": "赵六", "手机": "13912345678", "座机": "010-84885418", "开始建设时间": "2023/6/1",
    "班组简介": "负责常减压装置", "备注": None,
}


def xlsx_bytes(kind, rows, headers=None):
    """A filled template: rows are dicts label → value (missing labels left blank)."""
    if headers:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(headers)
        labels = headers
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(build_template(kind)))
        sheet = workbook.worksheets[0]
        labels = [c.value for c in sheet[1]]
    for r, row in enumerate(rows, start=2):
        for col, text in enumerate(labels, start=1):
            value = row.get(text)
            if value is not None:
                sheet.cell(row=r, column=col, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def group_rows(n, **overrides):
    """n valid group rows with distinct names."""
    return [dict(GROUP_ROW, 小组名称=f"攻关QC小组{i}", **overrides) for i in range(1, n + 1)]


@pytest.fixture
def year():
    """The open filing year by default (next calendar year in China)."""
    from app.core.settings import china_today

    return china_today().year + 1


@pytest.fixture
def unit(make):
    """An approved unit."""
    return make.unit(name="中国石化测试分公司")


@pytest.fixture
def unit_client(client, auth, unit):
    """A client logged in as the unit."""
    auth.login(client, unit.user)
    return client


def upload(client, url, data, name="备案.xlsx"):
    """POST an xlsx to an import endpoint like the page does (htmx)."""
    return client.post(url, data={"file": (io.BytesIO(data), name)}, headers={"HX-Request": "true"},
                       content_type="multipart/form-data")


__all__ = ["xlsx_bytes", "group_rows", "upload", "GROUP_ROW", "TEAM_ROW", "date"]

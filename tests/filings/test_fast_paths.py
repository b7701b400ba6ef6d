"""The speed-ups of the import and the pages give the same answers as the plain paths they shortcut."""
from datetime import date, datetime

import pytest
from markupsafe import escape

from app.core.extensions import db
from app.filings import html
from app.filings.fields import FieldProblem, fields_for
from app.filings.xlsx.columns import SLOW, fast_column, slow_value
from app.models import QcGroupFiling
from tests.filings.conftest import group_rows, upload, xlsx_bytes

IMPORT = "/groups/import"
SPECS = {spec.name: spec for spec in fields_for("group")}


def reference(spec, values):
    """What the per-cell cleaner says for each value (FieldProblem → SLOW, as the fast path marks it)."""
    out = []
    for value in values:
        try:
            out.append(slow_value(spec, value))
        except FieldProblem:
            out.append(SLOW)
    return out


def agree(spec, values):
    """fast_column's cleaned values equal the full cleaner's wherever it does not defer (SLOW)."""
    fast = fast_column(spec, values)
    full = reference(spec, values)
    assert len(fast) == len(values)
    for value, got, want in zip(values, fast, full):
        if got is not SLOW:
            assert got == want, (value, got, want)
    return fast


@pytest.mark.parametrize("odd", ["ＱＣ小组", "甲  小组", "甲\t小组", " 甲小组 ", "", "   ", "x" * 200, "甲\n小组"])
def test_name_column_fast_path_matches_the_cleaner(odd):
    values = [f"第{i}号QC小组" for i in range(200)]
    values[77] = odd
    fast = agree(SPECS["group_name"], values)
    assert fast[0] == "第0号QC小组"
    if odd in ("ＱＣ小组", "甲  小组", "甲\t小组", "", "   ", "x" * 200, "甲\n小组"):
        # anything unusual reaches the full cleaner (its message or its normalisation)
        assert fast[77] is SLOW or fast[77] == slow_value(SPECS["group_name"], odd)


def test_text_column_with_numbers_and_blanks_falls_back_to_the_per_value_path():
    values = [f"课题{i}" for i in range(200)]
    values[3], values[4] = 12.0, None
    fast = agree(SPECS["topic"], values)
    assert fast[3] is SLOW and fast[4] is SLOW  # required: a blank is a problem; a number is cleaned slowly


def test_email_column_fast_path_lowers_and_refuses_like_the_cleaner():
    values = [f"QC{i}@Example.com" for i in range(200)]
    fast = agree(SPECS["email"], values)
    assert fast[5] == "qc5@example.com"
    for bad in ("not-an-address", "a@b.c\x00d@e.f", "", "王@例子.中国", "a@b.c\n"):
        values = [f"qc{i}@example.com" for i in range(200)]
        values[9] = bad
        fast = agree(SPECS["email"], values)
        assert len(fast) == 200  # a NUL inside a value never shifts the other rows
        assert fast[10] == "qc10@example.com"


def test_numeric_mobile_column_fast_path():
    values = [13900000000.0 + i for i in range(200)]
    assert agree(SPECS["mobile"], values)[1] == "13900000001"
    values[50] = 13900000000.5
    assert agree(SPECS["mobile"], values)[50] is SLOW
    values[50] = True  # a boolean is not a phone number
    assert agree(SPECS["mobile"], values)[50] is SLOW
    values = [13900000000 + i for i in range(199)] + [12345]
    assert agree(SPECS["mobile"], values)[199] is SLOW


# what clerks type into the template, and near misses of each shape: the fast path must give the cleaner's
# value for every cell it accepts, and leave everything else (SLOW) to the cleaner and its message
TEXT_DATES = ["2024年3月1日", " 2024-03-01 ", "2024/3/1", "2024.3.1", "2024 年 3 月 1 日", "2024年3月1", "2024年2月30日",
              "２０２４年３月１日", "2024年3月1日\x0b", "2024\u30003\u30001", "٢٠٢٤-03-01", "2099年1月1日", "1949/12/31",
              "20240301", "2024-03-01 00:00:00", "2024-3-1日日", "", " "]
COUNTS = [" 7 ", "７", "007", "0", "1000", "7.0", "7人", "\u30007", "٧", "²", "-3", "+7", "", " "]
MOBILES = [" 13912345678 ", "１３９１２３４５６７８", "139 1234 5678", "12912345678", "1391234567", "+8613912345678",
           "\u300013912345678", "１３９１２３４５６７８９", "139１２３４５６７８", " "]
CHOICES = ["创新型 ", " 创新型", "创新型\u3000", "创 新 型", "问题解决型(自定目标)", "创新", ""]
EMAILS = [" qc@Example.com ", "QC@EXAMPLE.COM", "q c@example.com", " ", "ｑｃ@example.com", "qc@example.com\n"]


@pytest.mark.parametrize("field,odd_values", [
    ("founded_on", TEXT_DATES), ("topic_registered_on", TEXT_DATES), ("member_count", COUNTS),
    ("mobile", MOBILES), ("topic_type", CHOICES), ("email", EMAILS),
])
@pytest.mark.parametrize("size", [10, 200])
def test_realistic_cells_are_cleaned_fast_exactly_as_the_cleaner_does(field, odd_values, size):
    spec = SPECS[field]
    values = [odd_values[i % len(odd_values)] for i in range(size)]
    fast = agree(spec, values)
    accepted = {value for value, got in zip(values, fast) if got is not SLOW}
    if field in ("founded_on", "topic_registered_on"):
        assert {"2024年3月1日", " 2024-03-01 ", "2024/3/1"} <= accepted
        assert "2024年2月30日" not in accepted and "2099年1月1日" not in accepted
    if field == "member_count" and size == 200:
        assert {" 7 ", "７", "007"} <= accepted and not {"0", "1000", "٧", "²", "-3"} & accepted
    if field == "mobile" and size == 200:
        assert {" 13912345678 ", "１３９１２３４５６７８"} <= accepted and "12912345678" not in accepted


@pytest.mark.parametrize("field,value", [
    ("member_count", "7\x1f"), ("member_count", "\x0b7"), ("mobile", "13912345678\x1c"), ("mobile", "\x0c13912345678"),
    ("topic_type", "创新型\x1f"), ("email", "qc@example.com\x0b"), ("founded_on", "2024年3月1日\x1e"),
])
@pytest.mark.parametrize("size", [10, 200])
def test_the_new_fast_paths_strip_only_spaces(field, value, size):
    """Control characters that str.strip() would remove are left to the per-cell cleaner (and its checks)."""
    values = [value] * size
    assert fast_column(SPECS[field], values)[0] is SLOW


def test_email_column_with_padding_and_blanks_is_cleaned_at_once():
    values = [f" QC{i}@Example.com " if i % 3 else ("" if i % 2 else "   ") for i in range(300)]
    fast = agree(SPECS["email"], values)
    assert SLOW not in fast and fast[1] == "qc1@example.com" and fast[0] is None and fast[3] is None
    values[7] = "q c@example.com"  # a space inside: the cleaner's business
    assert agree(SPECS["email"], values)[7] is SLOW


@pytest.mark.parametrize("odd", ["第１号ＱＣ小组", " 第1号QC小组 ", "第１号\u3000\u3000小组", "Ｑ\x00Ｃ小组", "\u3000"])
def test_name_column_with_full_width_letters_is_made_half_width_at_once(odd):
    values = [f"第{i}号攻关ＱＣ小组" if i % 5 == 0 else f" 第{i}号攻关QC小组 " for i in range(200)]
    values[33] = odd
    fast = agree(SPECS["group_name"], values)
    assert fast[0] == "第0号攻关QC小组" and fast[1] == "第1号攻关QC小组" and fast[34] == "第34号攻关QC小组"
    assert len(fast) == 200


def test_the_realistic_bench_file_imports_every_row(app, unit_client, year):
    from bench.realistic import realistic_group_file

    response = upload(unit_client, IMPORT, realistic_group_file(300))
    text = response.data.decode()
    assert response.status_code == 200 and "共导入 300 条" in text, text[-800:]
    with app.app_context():
        rows = db.session.scalars(db.select(QcGroupFiling).order_by(QcGroupFiling.id)).all()
        assert len(rows) == 300
        assert all(r.mobile.isascii() and len(r.mobile) == 11 and 3 <= r.member_count <= 12 for r in rows)
        assert all(isinstance(r.founded_on, date) and r.group_name == r.group_name.strip() for r in rows)
        assert not any("Ｑ" in r.group_name or "１" in r.topic for r in rows)


def test_blank_rows_are_still_skipped_when_most_rows_are_full(app, unit_client, year):
    rows = group_rows(80)
    rows.insert(40, {"备注": "   "})  # only stray spaces: a blank row in the middle
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    assert response.status_code == 200, response.data.decode()[-500:]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(QcGroupFiling)) == 80


def test_a_row_with_a_blank_name_is_reported_and_a_blank_row_skipped(app, unit_client, year):
    rows = group_rows(80)
    rows[10]["小组名称"] = "   "  # the name is only spaces but the row is filled: an error, not a blank row
    rows.insert(50, {"小组名称": " ", "备注": "  "})  # nothing but spaces: skipped
    text = upload(unit_client, IMPORT, xlsx_bytes("group", rows)).data.decode()
    assert "第 12 行" in text and "请填写小组名称" in text and "第 52 行" not in text, text[-800:]
    del rows[10]
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    assert response.status_code == 200 and "共导入 79 条" in response.data.decode()


def test_the_same_name_in_two_enterprises_of_one_file_is_imported(app, unit_client, year):
    rows = group_rows(70)
    rows[5].update(企业名称="甲公司", 小组名称="攻关QC小组")
    rows[6].update(企业名称="乙公司", 小组名称="攻关QC小组")  # same name, another enterprise: allowed
    response = upload(unit_client, IMPORT, xlsx_bytes("group", rows))
    assert response.status_code == 200 and "共导入 70 条" in response.data.decode()
    rows[7].update(企业名称="乙公司", 小组名称="攻关QC小组")  # the same pair twice: refused
    text = upload(unit_client, IMPORT, xlsx_bytes("group", rows)).data.decode()
    assert "第 9 行 「小组名称」: 与第 8 行重复" in text


def test_imported_dates_read_back_as_dates(app, unit_client, year):
    rows = group_rows(70, 成立时间=datetime(2024, 3, 1), 课题注册时间="2024/4/2")
    assert upload(unit_client, IMPORT, xlsx_bytes("group", rows)).status_code == 200
    with app.app_context():
        filing = db.session.scalars(db.select(QcGroupFiling).order_by(QcGroupFiling.id)).first()
        assert filing.founded_on == date(2024, 3, 1)
        assert filing.topic_registered_on == date(2024, 4, 2)
        assert db.session.scalar(db.select(db.func.count()).where(
            QcGroupFiling.founded_on == date(2024, 3, 1))) == 70  # stored in the column's own format


class Row(tuple):
    """(enterprise_name, records, members) like the summary query's rows."""


def test_summary_rows_escape_every_name_even_with_line_breaks():
    rows = [Row(("<b>甲</b>公司", 2, 10)), Row(("乙&丙\n公司", 1, 5)), Row(("丁公司", 3, 9))]
    markup = str(html.summary_rows(rows, "/groups/"))
    assert "<b>" not in markup and str(escape("<b>甲</b>公司")) in markup
    assert str(escape("乙&丙\n公司")) in markup
    assert markup.count("<tr>") == 3 and ">丁公司</a>" in markup
    options = str(html.enterprise_options(["<x>", "a\nb", "丁公司"], "丁公司"))
    assert "<x>" not in options and '<option value="丁公司" selected>' in options
    assert options.count("<option") == 3


def test_search_counts_without_a_subquery_and_ignores_ascii_case(unit_client, make, unit, year, count_queries):
    for name in ("攻关QC小组", "节能qc小组", "安全小组"):
        make.group(unit, year=year, group_name=name)
    with count_queries() as statements:
        response = unit_client.get("/groups/?q=Qc")
    text = response.data.decode()
    assert "攻关QC小组" in text and "节能qc小组" in text and "安全小组" not in text
    counts = [s for s in statements if "count(" in s.lower() and "qc_group_filing" in s]
    assert counts and all("(SELECT" not in s.upper().replace("COUNT(", "") for s in counts), counts
    assert "共 2 条" in text

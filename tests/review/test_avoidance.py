"""回避 rules of spec B5 and Part F 9 (names and the automatic conflicts), without a database."""
import pytest

from app.review.avoidance import auto_conflicts, name_warning, normalize_company, same_company


@pytest.mark.parametrize("raw,normalised", [
    ("中国石化集团有限公司", "中国石化"),  # loses 有限公司, then 集团
    ("江苏扬子石化有限责任公司", "江苏扬子石化"),
    ("中国石油化工股份有限公司", "中国石油化工股份"),  # 有限公司 is tested first (bootdo's order)
    ("北京燕山分公司", "北京燕山分"),
    ("  中国 石化　北京燕山 ", "中国石化北京燕山"),  # inner and ideographic spaces
    ("ＡＢＣ化工有限公司", "abc化工"),  # full-width letters
    ("Sinopec Co., Ltd.", "sinopec"),
    ("Costco", "costco"),  # an English suffix must be a word of its own
    ("BASF Corporation", "basf"),
    ("公司", "公司"),  # a bare suffix is not stripped to nothing
    ("", ""),
])
def test_normalize_company(raw, normalised):
    assert normalize_company(raw) == normalised


def test_containment_needs_three_characters_on_both_sides():
    assert same_company("中国石化北京燕山分公司", "北京燕山分公司")  # Part F 9
    assert same_company("北京燕山分公司", "中国石化北京燕山分公司")
    assert same_company("中国石化集团有限公司", "中国石化")
    assert not same_company("石化", "中国石化北京燕山分公司")  # 2 characters never contain-match
    assert not same_company("中国石化北京燕山分公司", "燕山")
    assert same_company("燕山", "燕山有限公司")  # equal after normalising
    assert not same_company("", "燕山石化")
    assert not same_company("扬子石化", "燕山石化")


def test_auto_conflicts_same_unit_and_company_names():
    same_unit = auto_conflicts("某研究院", 7, 7, "江苏扬子石化有限公司", "中国石化扬子公司")
    assert [c.source for c in same_unit] == ["auto_unit"] and "同一申报单位" in same_unit[0].reason
    by_name = auto_conflicts("中国石化北京燕山分公司", None, 7, "北京燕山分公司", "燕山石化申报处")
    assert [c.source for c in by_name] == ["auto_name"]
    assert by_name[0].reason.startswith("单位重叠：完成单位[北京燕山分公司]、申报单位[燕山石化申报处]")
    by_unit_name = auto_conflicts("中国石化扬子公司", 3, 7, "别的企业", "中国石化扬子公司")
    assert [c.source for c in by_unit_name] == ["auto_name"]
    both = auto_conflicts("中国石化扬子公司", 7, 7, "别的企业", "中国石化扬子有限公司")
    assert [c.source for c in both] == ["auto_unit", "auto_name"]
    assert auto_conflicts("石化", None, 7, "中国石化北京燕山分公司", "中国石化") == []
    assert auto_conflicts("某大学", None, 7, "某企业", "某单位") == []


def test_name_warning():
    assert "同名" in name_warning("张 三", ["李四", "张三"], "王五")
    assert "同名" in name_warning("王五", [], "王五")
    assert name_warning("赵六", ["李四"], "王五") == ""

"""回避 rules (spec B5), pure: company-name normalisation and the automatic conflicts of an expert and a declaration.

An expert is avoided automatically when he or she was recommended by the declaring unit (同一申报单位), or when the
normalised 工作单位 equals, contains or is contained in (both at least 3 characters) the normalised 企业名称 (完成单位) or
申报单位 name. Normalisation as bootdo's `normalizeCompanyName` (B8), plus full-width → half-width and no spaces.
"""
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from app.review.models import AVOID_AUTO_NAME, AVOID_AUTO_UNIT

# Tested in this order, each stripped when the name (as left by the previous ones) ends with it, so that
# "…集团有限公司" loses both 有限公司 and 集团 (spec B5). English suffixes are compared lower-cased.
SUFFIXES = ("有限公司", "有限责任公司", "股份有限公司", "集团", "公司", "ltd", "co", "inc", "corporation", "corp")
MIN_CONTAINED = 3
_SPACES = re.compile(r"\s+")
_TRAILING = " .,"  # "Co., Ltd." leaves these between English suffixes


@dataclass(frozen=True)
class Conflict:
    """An automatic 回避: its source (auto_unit / auto_name) and the reason shown in 回避管理."""

    source: str
    reason: str


# Cached: 重新检查回避 and 自动分组 compare every expert of a round with every declaration.
@lru_cache(maxsize=65536)
def normalize_company(name):
    """The comparable form of a company name: half-width, lower-case, no spaces, the legal suffixes stripped."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", name or "")).strip().lower()
    for suffix in SUFFIXES:
        text = text.rstrip(_TRAILING)
        if not text.endswith(suffix) or len(text) == len(suffix):
            continue
        before = text[-len(suffix) - 1]
        if suffix.isascii() and before.isascii() and before.isalpha():
            continue  # "costco" is not "cost" + "co": an English suffix is a word of its own
        text = text[: -len(suffix)]
    return text.rstrip(_TRAILING).replace(" ", "")


def same_company(first, second):
    """True when two company names denote the same company: equal, or one contains the other (both ≥ 3 characters)."""
    return same_normalized(normalize_company(first), normalize_company(second))


def same_normalized(a, b):
    """same_company on names already normalised (normalize_company)."""
    if not a or not b:
        return False
    if a == b:
        return True
    return len(a) >= MIN_CONTAINED and len(b) >= MIN_CONTAINED and (a in b or b in a)


def auto_sources(expert_company_key, expert_unit_id, declaration_unit_id, enterprise_key, unit_key):
    """The sources (auto_unit, auto_name) of auto_conflicts, on normalised names and without the reasons: the fast
    form for checking many pairs."""
    by_unit = expert_unit_id is not None and expert_unit_id == declaration_unit_id
    by_name = (same_normalized(expert_company_key, enterprise_key)
               or same_normalized(expert_company_key, unit_key))
    if by_unit:
        return (AVOID_AUTO_UNIT, AVOID_AUTO_NAME) if by_name else (AVOID_AUTO_UNIT,)
    return (AVOID_AUTO_NAME,) if by_name else ()


def auto_conflicts(expert_company, expert_unit_id, declaration_unit_id, enterprise_name, unit_name):
    """The automatic 回避 of one expert for one declaration: a list of Conflict, empty when there is none."""
    found = []
    if expert_unit_id is not None and expert_unit_id == declaration_unit_id:
        found.append(Conflict(AVOID_AUTO_UNIT, f"同一申报单位：评委由{unit_name}推荐"))
    if same_company(expert_company, enterprise_name) or same_company(expert_company, unit_name):
        found.append(Conflict(AVOID_AUTO_NAME, f"单位重叠：完成单位[{enterprise_name}]、申报单位[{unit_name}]"
                                               f"，评委工作单位[{expert_company}]"))
    return found


def name_warning(expert_name, main_contributors, leader):
    """A warning (not a 回避) when the expert's name is a 主要完成人 or the 小组长/班组长 of the declaration."""
    name = _SPACES.sub("", unicodedata.normalize("NFKC", expert_name or ""))
    people = [_SPACES.sub("", unicodedata.normalize("NFKC", p or ""))
              for p in [*(main_contributors or ()), leader]]
    if name and name in people:
        return f"评委{expert_name}与该成果的主要完成人或组长同名，请核实是否需要回避。"
    return ""


def block_conflicts(experts, declarations):
    """The automatic 回避 of every expert with every declaration of one block (a 专业组 and its declarations), as
    (declaration id, expert id, source) — the pairs auto_sources gives, found without comparing every pair.

    experts: [(expert id, normalised company, recommending unit id)]; declarations: [(declaration id, unit id,
    normalised enterprise name, normalised unit name)]. Names are looked up instead of compared pairwise: an
    expert's name contained in a declaration's is found with str.find on all the block's names joined, and one
    contained in the expert's among the substrings of his or hers (both at least 3 characters; equal in any case).
    """
    by_unit, by_key = {}, {}
    for declaration_id, unit_id, enterprise_key, unit_key in declarations:
        by_unit.setdefault(unit_id, []).append(declaration_id)
        for key in {enterprise_key, unit_key}:
            if key:
                by_key.setdefault(key, []).append(declaration_id)
    keys = [key for key in by_key if len(key) >= MIN_CONTAINED]
    joined = "\n".join(keys)  # normalised names hold no whitespace, so no match runs across two names
    starts, position = [], 0
    for key in keys:
        starts.append(position)
        position += len(key) + 1
    found = []
    for expert_id, company_key, unit_id in experts:
        if unit_id is not None:
            found += [(d, expert_id, AVOID_AUTO_UNIT) for d in by_unit.get(unit_id, ())]
        if not company_key:
            continue
        matched = {company_key} if company_key in by_key else set()
        if len(company_key) >= MIN_CONTAINED:
            at = joined.find(company_key)
            while at != -1:  # the company inside a declaration's name
                matched.add(keys[bisect_right(starts, at) - 1])
                at = joined.find(company_key, at + 1)
            size = len(company_key)
            matched.update(part for part in (company_key[i:j] for i in range(size)
                                             for j in range(i + MIN_CONTAINED, size + 1))
                           if part in by_key)  # a declaration's name inside the company
        declarations_matched = {d for key in matched for d in by_key[key]}
        found += [(d, expert_id, AVOID_AUTO_NAME) for d in declarations_matched]
    return found

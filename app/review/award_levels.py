"""定级 parameters (spec B9, D18): the form (按分数线 一等 > 二等 > 三等, or 按比例 in whole percents), the levels they
give over a board of standings, and the counts per level shown live before 应用."""
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from app.core.validators import control_char_error
from app.review.aggregation import (
    AWARD_LEVEL_LABELS,
    DEFAULT_CUTOFFS,
    LEVEL_FIRST,
    LEVEL_SECOND,
    LEVEL_THIRD,
    award_levels,
    cup_winners,
    level_counts,
)

MODE_CUTOFFS = "cutoffs"
MODE_PROPORTION = "proportion"
MODE_LABELS = {MODE_CUTOFFS: "按分数线", MODE_PROPORTION: "按比例"}
LEVEL_FIELDS = ((LEVEL_FIRST, "first"), (LEVEL_SECOND, "second"), (LEVEL_THIRD, "third"))
_SCORE = re.compile(r"^\d{1,3}(\.\d{1,2})?$")
_PERCENT = re.compile(r"^\d{1,3}$")


@dataclass
class LevelForm:
    """The 定级 form: typed values kept, errors per field, the parsed mode and parameters when valid."""

    values: dict
    errors: dict
    mode: str = MODE_CUTOFFS
    params: dict | None = None  # {level code: Decimal minimum or percent}


def plain(text):
    """Typed text NFKC-normalised (full-width digits become ASCII) and stripped."""
    return unicodedata.normalize("NFKC", (text or "")).strip()


def level_form(plan):
    """The form filled from a plan (defaults 85/75/60)."""
    stored = plan.params or {}
    values = {"mode": plan.mode if plan.mode in MODE_LABELS else MODE_CUTOFFS}
    for code, name in LEVEL_FIELDS:
        label = AWARD_LEVEL_LABELS[code]
        default = dict(DEFAULT_CUTOFFS)[code]
        if values["mode"] == MODE_CUTOFFS and label in stored:
            values[f"cutoff_{name}"] = f"{Decimal(stored[label]) / 100:.2f}"
        else:
            values[f"cutoff_{name}"] = f"{default:.2f}"
        proportion = values["mode"] == MODE_PROPORTION and label in stored
        values[f"percent_{name}"] = str(stored[label]) if proportion else ""
    return LevelForm(values, {}, values["mode"], None)


def parse_levels(data):
    """Read the 定级 form: 一等 > 二等 > 三等 cut-offs (0–999.99, 2 decimals) or whole percents summing to ≤ 100."""
    mode = data.get("mode") if data.get("mode") in MODE_LABELS else MODE_CUTOFFS
    values, errors, params = {"mode": mode}, {}, {}
    for code, name in LEVEL_FIELDS:
        for prefix in ("cutoff", "percent"):
            values[f"{prefix}_{name}"] = (data.get(f"{prefix}_{name}") or "")[:20]
    prefix = "cutoff" if mode == MODE_CUTOFFS else "percent"
    for code, name in LEVEL_FIELDS:
        key, label = f"{prefix}_{name}", AWARD_LEVEL_LABELS[code]
        text = plain(values[key])
        field = f"{label}分数线" if mode == MODE_CUTOFFS else f"{label}比例"
        if not text:
            errors[key] = f"请填写{field}。"
        elif control_char_error(values[key], field):
            errors[key] = control_char_error(values[key], field)
        elif mode == MODE_CUTOFFS and not _SCORE.match(text):
            errors[key] = f"{field}应为0～999.99之间的数，最多两位小数。"
        elif mode == MODE_PROPORTION and (not _PERCENT.match(text) or int(text) > 100):
            errors[key] = f"{field}应为0～100之间的整数（百分比）。"
        else:
            params[code] = Decimal(text)
    if not errors and mode == MODE_CUTOFFS:
        for (high, high_name), (low, low_name) in zip(LEVEL_FIELDS, LEVEL_FIELDS[1:]):
            if params[high] <= params[low]:
                errors[f"cutoff_{low_name}"] = (f"{AWARD_LEVEL_LABELS[low]}分数线应低于"
                                                f"{AWARD_LEVEL_LABELS[high]}分数线。")
    if not errors and mode == MODE_PROPORTION and sum(params.values()) > 100:
        errors["percent_third"] = "各等级比例之和不能超过100%。"
    return LevelForm(values, errors, mode, None if errors else params)


def compute_levels(the_board, mode, params):
    """{declaration_id: level label} for the whole kind: 优胜杯 and 一等 for finalists, the rest by mode (B9)."""
    rows = the_board.rows
    scores = {r.declaration_id: r.level_score for r in rows}
    finalists = {r.declaration_id for r in rows if r.is_finalist}
    finals = {r.declaration_id: r.final_score for r in rows if r.is_finalist}
    cups = cup_winners(finals, the_board.plan.cup_count or 0)
    codes = award_levels(scores, finalists, cups, mode, params)
    return {key: AWARD_LEVEL_LABELS[code] for key, code in codes.items()}


def counts(levels):
    """{label: count} in the order of AWARD_LEVELS."""
    by_code = level_counts({k: _code(v) for k, v in levels.items()}, AWARD_LEVEL_LABELS)
    return {AWARD_LEVEL_LABELS[code]: n for code, n in by_code.items()}


_CODES = {text: code for code, text in AWARD_LEVEL_LABELS.items()}


def _code(label):
    return _CODES[label]


def stored_params(mode, params):
    if mode == MODE_CUTOFFS:
        return {AWARD_LEVEL_LABELS[c]: int(v * 100) for c, v in params.items()}
    return {AWARD_LEVEL_LABELS[c]: int(v) for c, v in params.items()}


def plan_params(plan):
    """The plan's parameters as level codes → Decimal (defaults for cut-offs)."""
    stored = plan.params or {}
    if plan.mode == MODE_PROPORTION:
        return {c: Decimal(stored.get(AWARD_LEVEL_LABELS[c], 0)) for c, _ in LEVEL_FIELDS}
    if not stored:
        return dict(DEFAULT_CUTOFFS)
    return {c: Decimal(stored.get(AWARD_LEVEL_LABELS[c], 0)) / 100 for c, _ in LEVEL_FIELDS}

"""Round means, ranks and levels (spec B8.1, B9), pure and exact.

Scores are Decimals (or ints / strings, never floats); a mean is computed as an exact fraction and rounded once,
ROUND_HALF_UP to 2 decimals (87.835 → 87.84, where banker's rounding or a float would give 87.83).
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")

LEVEL_CUP = "cup"
LEVEL_FIRST = "first"
LEVEL_SECOND = "second"
LEVEL_THIRD = "third"
LEVEL_NONE = "none"
LEVEL_LABELS = {LEVEL_FIRST: "一等", LEVEL_SECOND: "二等", LEVEL_THIRD: "三等", LEVEL_NONE: "未获奖"}
AWARD_LEVEL_LABELS = {LEVEL_CUP: "优胜杯", **LEVEL_LABELS}  # the labels are models.AWARD_LEVELS
DEFAULT_CUTOFFS = ((LEVEL_FIRST, Decimal("85.00")), (LEVEL_SECOND, Decimal("75.00")),
                   (LEVEL_THIRD, Decimal("60.00")))


def to_decimal(value):
    """A score as Decimal; floats are refused (they would bring binary rounding in)."""
    if isinstance(value, float):
        raise TypeError("scores are Decimal, int or str, never float")
    return value if isinstance(value, Decimal) else Decimal(value)


def round_half_up(value):
    """Round a Decimal or Fraction to 2 decimals, halves away from zero."""
    if isinstance(value, Fraction):
        sign = -1 if value < 0 else 1
        cents = (abs(value) * 100 * 2 + 1) // 2  # floor(|v|·100 + ½)
        return (Decimal(sign * cents) / 100).quantize(CENT)
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Trimmed:
    """A trimmed mean: None without values; the positions (in the input) of the dropped highest and lowest."""

    mean: Decimal | None
    valid_count: int
    used_count: int
    high_index: int | None = None
    low_index: int | None = None


def trimmed_mean(totals):
    """B8.1 steps 2–4: with 3 or more totals drop one highest and one lowest, average exactly, round HALF_UP."""
    values = [to_decimal(v) for v in totals]
    if not values:
        return Trimmed(None, 0, 0)
    high = low = None
    used = list(range(len(values)))
    if len(values) >= 3:
        # One instance each, even when tied: the first highest and the last lowest (distinct even if all are equal).
        high = max(used, key=lambda i: (values[i], -i))
        low = min(used, key=lambda i: (values[i], -i))
        used = [i for i in used if i not in (high, low)]
    exact = sum((Fraction(values[i]) for i in used), Fraction(0)) / len(used)
    return Trimmed(round_half_up(exact), len(values), len(used), high, low)


@dataclass(frozen=True)
class Sheet:
    """One expert's total in a round, as aggregation sees it."""

    expert_id: int
    total: Decimal
    submitted: bool = True
    avoided: bool = False


@dataclass(frozen=True)
class Detail:
    """How one sheet entered the mean (round_result_detail of spec B8.1)."""

    expert_id: int
    total: Decimal
    is_avoided: bool
    is_valid: bool
    is_removed_high: bool = False
    is_removed_low: bool = False


@dataclass(frozen=True)
class RoundMean:
    """The round mean of one declaration with its detail per expert."""

    mean: Decimal | None
    valid_count: int
    used_count: int
    details: list = field(default_factory=list)

    @property
    def label(self):
        """The mean as shown, or 暂无有效评分."""
        return "暂无有效评分" if self.mean is None else f"{self.mean:.2f}"


def round_mean(sheets):
    """B8.1: the mean over submitted, non-avoided sheets, recording which totals were dropped."""
    sheets = list(sheets)
    valid = [s for s in sheets if s.submitted and not s.avoided]
    trimmed = trimmed_mean([s.total for s in valid])
    high = valid[trimmed.high_index].expert_id if trimmed.high_index is not None else None
    low = valid[trimmed.low_index].expert_id if trimmed.low_index is not None else None
    details = [Detail(s.expert_id, to_decimal(s.total), s.avoided, s.submitted and not s.avoided,
                      s.expert_id == high and not s.avoided, s.expert_id == low and not s.avoided)
               for s in sheets]
    return RoundMean(trimmed.mean, trimmed.valid_count, trimmed.used_count, details)


def shared_ranks(scores):
    """B9: rank by score descending, equal scores sharing a rank (1, 2, 2, 4); {key: rank}, None for no score."""
    ordered = sorted((to_decimal(v) for v in scores.values() if v is not None), reverse=True)
    first_position = {}
    for position, value in enumerate(ordered, start=1):
        first_position.setdefault(value, position)
    return {key: (None if v is None else first_position[to_decimal(v)]) for key, v in scores.items()}


def levels_by_cutoffs(scores, cutoffs=DEFAULT_CUTOFFS):
    """B9: the level of each score by minimum scores (一等 ≥ 85, 二等 ≥ 75, 三等 ≥ 60 by default); {key: level}."""
    ordered = sorted(((level, to_decimal(minimum)) for level, minimum in cutoffs), key=lambda c: c[1],
                     reverse=True)
    result = {}
    for key, value in scores.items():
        value = None if value is None else to_decimal(value)
        result[key] = next((level for level, minimum in ordered if value is not None and value >= minimum),
                           LEVEL_NONE)
    return result


def levels_by_proportion(scores, percents):
    """B9 按比例: levels by cumulative shares of the ranking ({level: percent} in order 一等, 二等, 三等).

    A declaration gets the first level whose cumulative quota reaches its shared rank, so equal scores always get
    the same level (a tie at a boundary is kept together on the better level).
    """
    ranks = shared_ranks(scores)
    scored = sum(1 for r in ranks.values() if r is not None)
    quotas, cumulative = [], Decimal(0)
    for level in (LEVEL_FIRST, LEVEL_SECOND, LEVEL_THIRD):
        cumulative += to_decimal(percents.get(level, 0))
        quotas.append((level, int(Decimal(scored) * cumulative / 100)))
    return {key: next((level for level, quota in quotas if rank is not None and rank <= quota), LEVEL_NONE)
            for key, rank in ranks.items()}


def level_counts(levels, order=LEVEL_LABELS):
    """How many declarations each level gets (for the live preview): {level: count} in level order."""
    counts = dict.fromkeys(order, 0)
    for level in levels.values():
        counts[level] += 1
    return counts


def trimmed_mean_c(totals_c):
    """trimmed_mean on integer hundredths (stored totals), without Decimal: (mean_c or None, used_count,
    high index, low index); the same values and the same dropped positions as trimmed_mean."""
    n = len(totals_c)
    if not n:
        return None, 0, None, None
    if n < 3:
        return (2 * sum(totals_c) + n) // (2 * n), n, None, None  # ROUND_HALF_UP of a non-negative mean
    high_value, low_value = max(totals_c), min(totals_c)
    high = totals_c.index(high_value)  # the first highest
    low = n - 1 - totals_c[::-1].index(low_value)  # the last lowest: distinct from `high` even if all are equal
    used = n - 2
    return (2 * (sum(totals_c) - high_value - low_value) + used) // (2 * used), used, high, low


OUTLIER_C = 1500
OUTLIER_TITLE = "偏离其他专家平均分超过15分"


def outliers(totals_c):
    """The positions of the totals (hundredths) more than 15 points from the mean of the other totals of the same
    declaration (submitted, non-avoided, within its 专业组); exact, none with fewer than two totals."""
    n = len(totals_c)
    if n < 2:
        return set()
    whole = sum(totals_c)
    # |t − (S − t)/(n − 1)| > 15  ⇔  |t·(n − 1) − (S − t)| > 15·(n − 1), in integers
    return {i for i, total in enumerate(totals_c) if abs(total * (n - 1) - (whole - total)) > OUTLIER_C * (n - 1)}


def weighted_score(mean, weight_percent=100):
    """B8.3: one round's part of a score, round(weight × mean, 2 dp HALF_UP); None without a mean."""
    if mean is None:
        return None
    return round_half_up(to_decimal(mean) * to_decimal(weight_percent) / 100)


def group_ranks(scores, groups):
    """B9: the shared rank of each score within its 专业组 ({key: group}); {key: rank}, None for no score."""
    by_group = {}
    for key, value in scores.items():
        by_group.setdefault(groups.get(key), {})[key] = value
    ranks = {}
    for members in by_group.values():
        ranks.update(shared_ranks(members))
    return ranks


def finalist_split(scores, count):
    """B9 决赛入围: the top `count` of the ranking as (sure, tied).

    `sure` are in without question; `tied` are the equal scores at the boundary when they do not all fit into
    `count` (the secretariat decides each); both are sets of keys. Keys without a score never qualify.
    """
    ranked = sorted(((to_decimal(v), k) for k, v in scores.items() if v is not None), key=lambda p: -p[0])
    if count <= 0 or not ranked:
        return set(), set()
    if count >= len(ranked):
        return {k for _, k in ranked}, set()
    boundary = ranked[count - 1][0]
    if ranked[count][0] != boundary:
        return {k for _, k in ranked[:count]}, set()
    return {k for v, k in ranked if v > boundary}, {k for v, k in ranked if v == boundary}


def cup_winners(final_scores, count):
    """B9 优胜杯: the finalists whose shared rank by 决赛分 is within `count` (ties at the edge all win)."""
    if count <= 0:
        return set()
    return {k for k, rank in shared_ranks(final_scores).items() if rank is not None and rank <= count}


def award_levels(scores, finalists, cups, mode="cutoffs", params=None):
    """B9, D18: the level code of every key: 优胜杯 ("cup") for `cups`, 一等 for the other finalists, else by
    cut-offs ({level: minimum}) or by proportion ({level: percent}) over all scores of the kind."""
    if mode == "proportion":
        levels = levels_by_proportion(scores, params or {})
    else:
        levels = levels_by_cutoffs(scores, tuple((params or dict(DEFAULT_CUTOFFS)).items()))
    for key in levels:
        if key in cups:
            levels[key] = LEVEL_CUP
        elif key in finalists:
            levels[key] = LEVEL_FIRST
    return levels

"""Round means, ranks and levels (spec B8.1, B9, Part F 10): the worked examples, exact to the cent."""
from decimal import Decimal as D

import pytest

from app.review.aggregation import (
    LEVEL_FIRST,
    LEVEL_NONE,
    LEVEL_SECOND,
    LEVEL_THIRD,
    Sheet,
    level_counts,
    levels_by_cutoffs,
    levels_by_proportion,
    round_half_up,
    round_mean,
    shared_ranks,
    trimmed_mean,
)


def test_five_scores_drop_the_highest_and_the_lowest():
    result = trimmed_mean([D("85.5"), 90, 78, 88, 92])
    assert result.mean == D("87.83") and str(result.mean) == "87.83"
    assert (result.valid_count, result.used_count, result.high_index, result.low_index) == (5, 3, 4, 2)


def test_six_experts_one_avoided():
    sheets = [Sheet(1, D(80)), Sheet(2, D(82)), Sheet(3, D(85)), Sheet(4, D(88)), Sheet(5, D(90)),
              Sheet(6, D(99), avoided=True)]
    result = round_mean(sheets)
    assert result.mean == D("85.00") and result.label == "85.00"
    assert (result.valid_count, result.used_count) == (5, 3)
    by_expert = {d.expert_id: d for d in result.details}
    assert by_expert[5].is_removed_high and by_expert[1].is_removed_low
    assert by_expert[6].is_avoided and not by_expert[6].is_valid and not by_expert[6].is_removed_high
    assert [d.expert_id for d in result.details if d.is_valid and not (d.is_removed_high or d.is_removed_low)] \
        == [2, 3, 4]


def test_two_scores_are_averaged_without_trimming():
    result = trimmed_mean(["80", "85"])
    assert (result.mean, result.used_count, result.high_index, result.low_index) == (D("82.50"), 2, None, None)


def test_ties_drop_one_instance_each():
    result = trimmed_mean([90, 90, 80])
    assert result.mean == D("90.00") and result.high_index == 0 and result.low_index == 2
    equal = trimmed_mean([85, 85, 85, 85])
    assert equal.mean == D("85.00") and equal.used_count == 2 and equal.high_index != equal.low_index


def test_three_scores_give_the_median():
    assert trimmed_mean([70, D("99.99"), D("81.25")]).mean == D("81.25")


def test_half_up_not_bankers_rounding():
    assert round_half_up(D("87.835")) == D("87.84")
    assert round_half_up(D("87.825")) == D("87.83")  # banker's rounding would give 87.82
    assert trimmed_mean([D("87.83"), D("87.84")]).mean == D("87.84")  # the exact mean is 87.835
    assert trimmed_mean([D("87.82"), D("87.83")]).mean == D("87.83")
    # 1/3 and 2/3 of a cent: exact fractions, rounded once.
    assert trimmed_mean([D("0.01"), 0, 0]).mean == D("0.00")
    assert trimmed_mean([D("10.01"), D("10.00"), D("10.00"), D("10.02"), D("10.02")]).mean == D("10.01")
    assert trimmed_mean([D("10.01"), D("10.02"), D("10.02")]).mean == D("10.02")


def test_no_valid_score():
    result = round_mean([Sheet(1, D(80), submitted=False), Sheet(2, D(90), avoided=True)])
    assert result.mean is None and result.valid_count == 0 and result.label == "暂无有效评分"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        trimmed_mean([87.835, 80, 90])


def test_shared_ranks():
    ranks = shared_ranks({"a": D("90"), "b": D("88.50"), "c": D("88.5"), "d": D("80"), "e": None})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4, "e": None}


def test_levels_by_cutoffs_default_85_75_60():
    scores = {"a": D("85.00"), "b": D("84.99"), "c": D("75"), "d": D("60.00"), "e": D("59.99"), "f": None,
              "g": D("85")}
    levels = levels_by_cutoffs(scores)
    assert levels == {"a": LEVEL_FIRST, "b": LEVEL_SECOND, "c": LEVEL_SECOND, "d": LEVEL_THIRD, "e": LEVEL_NONE,
                      "f": LEVEL_NONE, "g": LEVEL_FIRST}
    assert level_counts(levels) == {LEVEL_FIRST: 2, LEVEL_SECOND: 2, LEVEL_THIRD: 1, LEVEL_NONE: 2}
    custom = levels_by_cutoffs(scores, ((LEVEL_FIRST, "90"), (LEVEL_SECOND, "84.99"), (LEVEL_THIRD, "70")))
    assert custom["a"] == custom["g"] == custom["b"] == LEVEL_SECOND


def test_levels_by_proportion_keep_ties_together():
    scores = {"a": D(95), "b": D(90), "c": D(90), "d": D(80), "e": D(70), "f": D(60), "g": D(50), "h": D(40),
              "i": D(30), "j": D(20)}
    levels = levels_by_proportion(scores, {LEVEL_FIRST: 20, LEVEL_SECOND: 30, LEVEL_THIRD: 30})
    # 20 % of 10 = 2 places: a, and b with c tied at rank 2, all 一等.
    assert [levels[k] for k in "abc"] == [LEVEL_FIRST] * 3
    assert [levels[k] for k in "de"] == [LEVEL_SECOND] * 2
    assert [levels[k] for k in "fgh"] == [LEVEL_THIRD] * 3
    assert [levels[k] for k in "ij"] == [LEVEL_NONE] * 2

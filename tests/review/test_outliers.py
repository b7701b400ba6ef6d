"""The integer trimmed mean gives exactly the Decimal rule's numbers; the matrix's outlier rule (more than 15 points
from the mean of the other totals of the declaration)."""
import random
from decimal import Decimal

from app.review.aggregation import outliers, trimmed_mean, trimmed_mean_c


def test_integer_trimmed_mean_matches_the_exact_rule():
    rng = random.Random(14)
    for _ in range(3000):
        totals = [rng.choice([rng.randint(0, 10000), rng.randint(8000, 8010), 9000])
                  for _ in range(rng.randint(0, 8))]
        exact = trimmed_mean([Decimal(t) / 100 for t in totals])
        mean_c, used, high, low = trimmed_mean_c(totals)
        expected = None if exact.mean is None else int(exact.mean * 100)
        assert (mean_c, used, high, low) == (expected, exact.used_count, exact.high_index, exact.low_index), totals


def test_worked_examples_in_hundredths():
    assert trimmed_mean_c([8550, 9000, 7800, 8800, 9200])[0] == 8783
    assert trimmed_mean_c([8000, 8200, 8500, 8800, 9000])[0] == 8500
    assert trimmed_mean_c([8000, 8500])[0] == 8250
    assert trimmed_mean_c([9000, 9000, 8000]) == (9000, 1, 0, 2)
    assert trimmed_mean_c([8783, 8784, 0, 10000])[0] == 8784  # 87.835 → 87.84 (HALF_UP)
    assert trimmed_mean_c([]) == (None, 0, None, None)


def test_outliers_are_more_than_15_points_from_the_others_mean():
    assert outliers([9000, 8800, 7000]) == {2}  # 70 vs (90 + 88) / 2 = 89: 19 points
    assert outliers([9000, 9000, 7500]) == set()  # exactly 15 points is not "more than"
    assert outliers([9000, 9000, 7499]) == {2}
    assert outliers([8000, 9501]) == {0, 1}  # two totals: each is the other's "mean"
    assert outliers([8000, 9500]) == set()
    assert outliers([8000]) == outliers([]) == set()
    assert outliers([10000, 8000, 8000, 8000, 8000, 8000]) == {0}


def test_matrix_cells_escape_their_labels():
    from app.review.matrix import Cell, Row

    row = Row(1, 1, "第一组", "QCSB-1", "成果", "小组", "问题解决型", "企业", "单位", "甲", 8000, 3, 1, "评分完成",
              cells=[Cell(8000, "<b>80.00</b>"), Cell(None, "—"), Cell(9900, "99.00", True)])
    html = str(row.cells_html)
    assert "<b>" not in html and "&lt;b&gt;80.00&lt;/b&gt;" in html
    assert '<td class="num muted">—</td>' in html and 'class="num outlier"' in html

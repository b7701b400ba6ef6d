"""成果评审: review rounds, rubrics, 专业组, 回避, scores, results, 公示 and certificates."""

"""打印申报表 / 汇总表 / 统计表 / 推荐表 as PDFs for 盖章 (owned by the printing work)."""

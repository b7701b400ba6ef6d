"""Filing forms and views shared by 小组备案, 班组备案 and the invitation-link pages (not a blueprint)."""

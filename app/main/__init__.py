"""The main blueprint: the home page (系统首页) with the login box, notices and each role's first page."""

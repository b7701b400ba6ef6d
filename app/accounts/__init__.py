"""Accounts: registration with the business license, approval, login, sessions, captcha, passwords, password
reset, profile (修改资料) and change requests; models unit and user. Blueprint ``auth`` in ``views/``."""

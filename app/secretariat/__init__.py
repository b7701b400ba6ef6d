"""The secretariat (秘书处): dashboard, registrations, units, filing overview, year settings, notices, audit log,
outbox, accounts and backups, over every area. Blueprint ``admin`` in ``views/``."""

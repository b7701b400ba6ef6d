"""邀请备案: invitations with secret links, through which enterprises file without an account.
Blueprint ``invite`` in ``views/`` (the unit's page and the enterprise's link pages)."""

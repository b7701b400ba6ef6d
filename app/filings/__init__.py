"""登记备案: QC groups and teams filed per year, 注册编号, summaries, and the xlsx template, import and export.
Blueprints ``groups`` and ``teams`` in ``views/``; the forms are shared with the invitation-link pages."""

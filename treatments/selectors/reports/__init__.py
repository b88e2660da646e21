"""The reports (``/reports/``): one function per figure, each over a ``filters.reports.Scope``.

- ``base``: shared pieces (Wilson intervals, percentages, months, the DB-side median, tables);
- ``treatments``: treatments per month by route, total dose per treatment, course positions;
- ``followups``: follow-up completion per step, the 3-month assessment first;
- ``outcomes``: pain, energy and global impression at each time point, by indication;
- ``side_effects``: incidence and share by term, grade, route and lot, with flagged lots.

Every figure is an aggregate computed in the database; none names a patient, so clinic admins may
see them all.
"""

"""The read layer: one keyword-only function per page query or figure.

Views, the digest, exports and tests call these; none of them builds its own query. A filter asked
in more than one place is a QuerySet method on the model (``Administration.objects.counting_stock()``),
never a second copy. Modules are by aggregate; import the function from its module, e.g.
``from treatments.selectors.followups import followup_worklist``.
"""

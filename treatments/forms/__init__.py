"""Forms for the clinical pages; each lists its fields explicitly (never ``__all__``)."""

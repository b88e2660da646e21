"""Views for the clinical pages: thin (permission, form, redirect); rules live in services."""

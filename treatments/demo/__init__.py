"""Demo data for a realistic clinic, built by ``manage.py seed_demo`` (never in production)."""

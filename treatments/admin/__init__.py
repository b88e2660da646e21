"""Django admin for clinical records: for finding and auditing; writes go through the services."""

from treatments.admin import followups, protocol, records  # noqa: F401  (each module registers its admins)

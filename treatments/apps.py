"""The clinical domain: patients, products and lots, treatments, follow-ups, side effects."""

from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Clinical records"

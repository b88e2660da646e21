"""The clinical domain: patients, products and lots, treatments, follow-ups, side effects."""

from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Clinical records"

    def ready(self):
        from django.db.models.signals import post_migrate

        from treatments.seeding import seed_clinic_defaults

        post_migrate.connect(seed_clinic_defaults, sender=self, dispatch_uid="exolog_seed_clinic_defaults")

"""The reference section: the clinic's patient FAQ."""

from django.apps import AppConfig


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = "FAQ"

    def ready(self):
        from django.db.models.signals import post_migrate

        from faq.seeding import seed_clinic_faq

        post_migrate.connect(seed_clinic_faq, sender=self, dispatch_uid="exolog_seed_clinic_faq")

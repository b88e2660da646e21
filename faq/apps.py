"""The reference section: the clinic's patient FAQ."""

from django.apps import AppConfig


class FaqConfig(AppConfig):
    name = "faq"
    verbose_name = "FAQ"

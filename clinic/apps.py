"""The project app: roles, login, middleware and the dashboard."""

from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from clinic.middleware import mark_login

        user_logged_in.connect(mark_login, dispatch_uid="exolog_mark_login")

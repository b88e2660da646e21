"""The base layer: settings, roles, login and second factor, middleware, the shared record base."""

from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_delete

        import clinic.checks  # noqa: F401 (registers the deployment checks)
        from clinic.audit import refuse_deleting_audited_users
        from clinic.middleware import mark_login
        from clinic.roles import sync_roles
        from clinic.sqlite import keep_statistics_fresh

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="exolog_sync_roles")
        user_logged_in.connect(mark_login, dispatch_uid="exolog_mark_login")
        pre_delete.connect(
            refuse_deleting_audited_users, sender=get_user_model(), dispatch_uid="exolog_keep_audited_users"
        )
        connection_created.connect(keep_statistics_fresh, dispatch_uid="exolog_sqlite_statistics")

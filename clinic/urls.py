"""URL configuration: every URL needs a login except the login page and static files."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from clinic.middleware import second_factor_exempt
from clinic.second_factor import EnrolView, VerifyView

admin.site.site_header = "Exolog administration"
admin.site.site_title = "Exolog"

urlpatterns = [
    path(
        "login/",
        second_factor_exempt(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("logout/", second_factor_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("account/verify/", second_factor_exempt(VerifyView.as_view()), name="second_factor_verify"),
    path("account/two-factor/", second_factor_exempt(EnrolView.as_view()), name="second_factor_enrol"),
    path("", include("treatments.urls")),
    path("faq/", include("faq.urls")),
    # One login page for the whole site: the admin's own would be a second door to guard.
    path(
        "admin/login/",
        login_not_required(RedirectView.as_view(pattern_name="login", query_string=True)),
        name="admin_login",
    ),
    path("admin/", admin.site.urls),
]

handler403 = "clinic.views.permission_denied"
handler404 = "clinic.views.page_not_found"
handler500 = "clinic.views.server_error"

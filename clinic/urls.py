"""URL configuration: every URL needs a login except the login page and static files."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic.views import HomeView

admin.site.site_header = "Exolog administration"
admin.site.site_title = "Exolog"

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("treatments.urls")),
    path("faq/", include("faq.urls")),
    path("admin/", admin.site.urls),
]

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, reverse_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from opscore import views
from opscore.auth import ObtainTokenView

handler404 = views.not_found
handler500 = views.server_error

admin.site.site_header = "OpsCore administration"
admin.site.site_title = "OpsCore admin"
admin.site.index_title = "Records, procedures and policies"

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/token/", ObtainTokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="schema"),
    path("", include("procedures.api_urls")),
    path("", include("executions.api_urls")),
    path("", include("sharing.api_urls")),
    path("", include("attachments.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="procedures:list", permanent=False), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "account/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/password_change.html",
            success_url=reverse_lazy("procedures:list"),
        ),
        name="password_change",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns, "api"))),
    path("procedures/", include("procedures.urls")),
    path("executions/", include("executions.urls")),
    path("executions/", include("sharing.urls")),
    path("", include("attachments.urls")),
]

"""URL configuration: the admin, the REST API, the pages for people.

The pages live under a language prefix (`/ja/…`, `/en/…`); `/` and any unprefixed page address are
redirected by LocaleMiddleware to the browser's language. The admin and the API keep their URLs.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from api.exceptions import not_found
from registry import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    *i18n_patterns(
        path("", include("registry.pages.urls")),
        # Sign in, out, password change and reset: Django's own views (templates/registration/).
        path("accounts/", include("registry.workspace.auth_urls")),
        path("my/", include("registry.workspace.urls")),
        prefix_default_language=True,
    ),
]

# A URL nothing answers: JSON under /api/ (what API clients read), Django's page elsewhere.
handler404 = not_found

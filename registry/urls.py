"""URL configuration: the admin, the REST API, the pages for people."""

from django.contrib import admin
from django.urls import include, path

from api.exceptions import not_found

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

# A URL nothing answers: JSON under /api/ (what API clients read), Django's page elsewhere.
handler404 = not_found

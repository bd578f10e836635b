"""django.contrib.admin with the registry's own site (kept apart: an AppConfig module imports no models)."""

from django.contrib.admin.apps import AdminConfig


class RegistryAdminConfig(AdminConfig):
    """`admin.site` is registry.admin_site.RegistryAdminSite: audit pages and the registry's titles."""

    default_site = "registry.admin_site.RegistryAdminSite"

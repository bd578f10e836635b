"""The registry's admin site: Django's, with the audit pages and the registry's own titles."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.admin_audits import AuditAdminSiteMixin


class RegistryAdminSite(AuditAdminSiteMixin, admin.AdminSite):
    site_header = _("Sister-city registry")
    site_title = _("Sister-city registry admin")
    index_title = _("Data care and audits")

"""The admin's users page with a "Grant a role…" action (registry.services.roles.grant_role).

Django's own UserAdmin, plus one action: pick the role (coordinator, or staff of a municipality)
on an intermediate page; each selected user gets it through the service, all or none.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from registry.models import Municipality, StaffAssignment
from registry.services import access
from registry.services.roles import Role, grant_role


class GrantRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here: the autocomplete widget needs the admin site.
        self.fields["municipality"] = forms.ModelChoiceField(
            queryset=Municipality.objects.filter(abolished_on__isnull=True),
            label=_("Municipality"),
            required=False,
            help_text=_("For staff: the municipality they work for. Leave empty for coordinators."),
            widget=AutocompleteSelect(StaffAssignment._meta.get_field("municipality"), admin_site),
        )


class RegistryUserAdmin(UserAdmin):
    actions = ("grant_role_action",)

    @admin.action(description=_("Grant a role…"), permissions=["grant_role"])
    def grant_role_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        users = list(queryset.order_by("pk"))
        form = GrantRoleForm(request.POST if "apply" in request.POST else None, admin_site=self.admin_site)
        if "apply" in request.POST and form.is_valid():
            problems: list[str] = []
            with transaction.atomic():
                for user in users:
                    try:
                        with transaction.atomic():
                            grant_role(
                                user=user,
                                role=form.cleaned_data["role"],
                                municipality=form.cleaned_data["municipality"],
                                by=request.user,
                            )
                    except ValidationError as error:
                        problems += [f"{user}: {message}" for message in error.messages]
                if problems:
                    transaction.set_rollback(True)  # all or none
            if not problems:
                self.message_user(
                    request,
                    _("%(n)s user(s) granted the role %(role)s.")
                    % {"n": len(users), "role": Role(form.cleaned_data["role"]).label},
                    messages.SUCCESS,
                )
                return None
            for problem in problems:
                form.add_error(None, problem)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Grant a role"),
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,
            "objects": users,
            "action": "grant_role_action",
            "submit_label": _("Grant"),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/registry/action_form.html", context)

    def has_grant_role_permission(self, request: HttpRequest) -> bool:
        return access.can_grant_roles(request.user)


# Importing django.contrib.auth.admin (for UserAdmin) registered Django's own; this one replaces it.
User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RegistryUserAdmin)

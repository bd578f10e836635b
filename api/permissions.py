"""DRF permission classes; each asks registry.services.access, where the roles are decided.

What a user may not see answers 404 (CoordinatorsOnlyOr404); what they may see but not change
answers 403 (the others). Anonymous writes answer 401 (the viewsets list TokenAuthentication
first, so the answer carries `WWW-Authenticate: Token`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from registry.models import ActivityLog, TwinningAgreement
from registry.services import access


class IsCoordinator(BasePermission):
    """Coordinators (the group) and admins."""

    message = _("Only coordinators may do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.is_coordinator(request.user)


class IsCoordinatorOrStaff(BasePermission):
    """Coordinators, and users assigned to at least one municipality (which one is checked on the object)."""

    message = _("Only coordinators and municipal staff may do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.is_coordinator(request.user) or bool(access.assigned_municipality_ids(request.user))


class CanEditAgreement(BasePermission):
    """Edit an agreement or change its status: coordinators, and staff of either side."""

    message = _("Only coordinators and the staff of either side may change this agreement.")

    def has_object_permission(self, request: Request, view: Any, obj: TwinningAgreement) -> bool:
        return access.can_edit_agreement(request.user, obj)


class CanDeleteAgreement(BasePermission):
    """Delete an agreement recorded in error: coordinators only (staff terminate it instead)."""

    message = _("Only coordinators may delete an agreement; change its status to terminated instead.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.can_delete_agreement(request.user)


class CanEditActivity(BasePermission):
    """Edit or delete a logged activity: coordinators, and staff of either side of its agreement."""

    message = _("Only coordinators and the staff of either side may change this activity.")

    def has_object_permission(self, request: Request, view: Any, obj: ActivityLog) -> bool:
        return access.can_edit_activity(request.user, obj)


class CanEditMemberships(BasePermission):
    """Network memberships are reference data: coordinators only."""

    message = _("Only coordinators may change network memberships.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return access.can_edit_membership(request.user)


class CanReadHistoryOr404(BasePermission):
    """The change history exists only for coordinators: signed-in users who are not get 404, not 403.

    Anonymous requests get 401 (sign in first), as everywhere else that needs a sign-in: the
    endpoint is in the public schema, so a 404 would hide nothing from them.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method not in view.allowed_methods:
            return True  # the view answers 405, as for every other endpoint
        if not request.user.is_authenticated:
            return False  # 401 with `WWW-Authenticate: Token`
        if not access.can_read_history(request.user):
            raise NotFound()
        return True

"""Who changed what, and when: one row per write made through a service."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    STATUS = "status", _("Status changed")
    MERGE = "merge", _("Moved by a merger")
    IMPORT = "import", _("Imported")


class ChangeRecord(models.Model):
    """An audit row written by every service that changes data (never by signals)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(max_length=300)
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    changes = models.JSONField(default=dict, blank=True, help_text=_("Field: [before, after]."))
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change history")
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=ChangeAction.values), name="change_action_valid"),
        ]
        indexes = [
            # History of one object, newest first.
            models.Index(fields=["content_type", "object_id", "-changed_at"], name="change_object_time"),
        ]

    def __str__(self) -> str:
        return f"{self.changed_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

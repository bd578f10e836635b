"""The activity log: what keeps a relationship alive."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .agreements import ExchangeCategory, TwinningAgreement


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound (our delegation visited)")
    INBOUND = "inbound", _("Inbound (we received a visit)")
    JOINT = "joint", _("Joint")
    ONLINE = "online", _("Online")


class ActivityLog(models.Model):
    """One exchange activity under an agreement."""

    agreement = models.ForeignKey(TwinningAgreement, on_delete=models.CASCADE, related_name="activities")
    occurred_on = models.DateField(_("occurred on"))
    category = models.CharField(_("category"), max_length=20, choices=ExchangeCategory.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, blank=True)
    participants = models.PositiveIntegerField(_("participants"), null=True, blank=True)
    evidence_url = models.URLField(_("evidence URL"), max_length=500, blank=True)
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Generated demonstration activity, not a real exchange.")
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity log")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=ExchangeCategory.values), name="activity_category_valid"),
            models.CheckConstraint(
                condition=Q(direction="") | Q(direction__in=Direction.values), name="activity_direction_valid"
            ),
        ]
        indexes = [
            # last_activity_on upkeep and vitality as of a date: the latest activity of an agreement.
            models.Index(fields=["agreement", "occurred_on"], name="activity_agreement_date"),
            # The activity list's default order (newest first): its first page without sorting every row.
            models.Index(fields=["-occurred_on", "-id"], name="activity_newest_first"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.title}"

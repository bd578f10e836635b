"""What the staff workspace keeps about its users: their preferences, and the reminders sent to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .agreements import TwinningAgreement


class StaffProfile(models.Model):
    """A workspace user's preferences: the language of their e-mail, whether they get digests."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    language = models.CharField(_("language of e-mails"), max_length=8, choices=settings.LANGUAGES, default="ja")
    digests_enabled = models.BooleanField(
        _("send me reminder digests"),
        default=True,
        help_text=_("An e-mail when a relationship goes quiet or a fixed-term agreement nears its end."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class ReminderReason(models.TextChoices):
    DORMANT = "dormant", _("Became dormant")
    NEVER = "never", _("Never active")
    EXPIRING = "expiring", _("Fixed term ends soon")


class ReminderSent(models.Model):
    """One reminder e-mailed to one user about one agreement: send_reminders reads these so that the
    same reminder is not sent twice within its period."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    agreement = models.ForeignKey(TwinningAgreement, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=ReminderReason.choices)
    sent_on = models.DateField(_("sent on"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=ReminderReason.values), name="reminder_reason_valid"),
        ]
        indexes = [
            # send_reminders: "was this reminder sent to this user since the period began?"
            models.Index(fields=["user", "agreement", "reason", "sent_on"], name="reminder_user_agreement"),
        ]

    def __str__(self) -> str:
        return f"{self.sent_on} {self.reason} {self.agreement_id} → {self.user_id}"

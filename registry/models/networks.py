"""City networks (multilateral city diplomacy) and memberships."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .places import Municipality


class NetworkScale(models.TextChoices):
    GLOBAL = "global", _("Global")
    REGIONAL = "regional", _("Regional")


class MembershipRole(models.TextChoices):
    ACTIVE = "active", _("Active (member city)")
    OBSERVER = "observer", _("Observer (non-member city)")
    ASSOCIATE = "associate", _("Associate (ministry, research centre, university)")


class Network(models.Model):
    """A city network such as Mayors for Peace or Eurocities."""

    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ja = models.CharField(_("Japanese name"), max_length=200, blank=True)
    scale = models.CharField(_("scale"), max_length=10, choices=NetworkScale.choices)
    founded_year = models.PositiveSmallIntegerField(_("founded"), null=True, blank=True)
    seat = models.CharField(_("seat"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    source = models.TextField(_("source"), blank=True, help_text=_("Where the founding year and seat come from."))

    class Meta:
        verbose_name = _("city network")
        verbose_name_plural = _("city networks")
        ordering = ["scale", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(scale__in=NetworkScale.values), name="network_scale_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class NetworkMembership(models.Model):
    """An authority's membership of a network, with its role and dates."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.ACTIVE)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("network membership")
        verbose_name_plural = _("network memberships")
        ordering = ["network", "municipality"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=MembershipRole.values), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(joined_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_not_before_joined",
            ),
            # One current membership per network and authority.
            models.UniqueConstraint(
                fields=["network", "municipality"],
                condition=Q(left_on__isnull=True),
                name="membership_one_current_per_network",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "network"], name="membership_municipality"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} in {self.network} ({self.role})"

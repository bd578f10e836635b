"""City networks (multilateral city diplomacy) and memberships."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .agreements import DatePrecision
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
    # The review's founding year is kept in founded_year; where the organisation's own account (or
    # another source) gives another year, both are kept, each with its source, rather than one
    # chosen silently.
    founded_year_other = models.PositiveSmallIntegerField(
        _("founded (other sources)"),
        null=True,
        blank=True,
        help_text=_("The founding year other sources give, where it differs from the review's."),
    )
    founded_year_other_source = models.TextField(
        _("source of the other founding year"), blank=True, help_text=_("Where the other founding year comes from.")
    )
    aliases = models.TextField(
        _("other names"),
        blank=True,
        help_text=_("Other names the network goes by in source files, one a line (e.g. “C40 Cities”)."),
    )

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
    joined_on_precision = models.CharField(
        _("precision of the join date"),
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("A join year only is stored as 1 January of that year with precision “year”."),
    )
    left_on = models.DateField(_("left on"), null=True, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source_note = models.TextField(_("source note"), blank=True, help_text=_("What the source says, as read."))
    is_derived = models.BooleanField(
        _("derived"),
        default=False,
        help_text=_(
            "Not read row by row in a source but derived from a source's statement (e.g. “every Japanese "
            "municipality except Sasebo is a member”); the source note says which and as of when."
        ),
    )
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


class NetworkMemberCount(models.Model):
    """A member total a network (or a source about it) published: "C40 has 97 member cities".

    Kept beside the memberships the registry holds, so that a page can say how much of a network
    the registry knows ("97 of 97", "74 of about 70"). `as_of` is the date as the source gives it
    (often approximate: "undated (c. 2023-25)"); `as_of_date` its first day where a year can be read,
    for ordering.
    """

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="member_counts")
    as_of = models.CharField(_("as of"), max_length=100, help_text=_("As the source gives it."))
    as_of_date = models.DateField(_("as of (first day)"), null=True, blank=True)
    scope = models.CharField(
        _("scope"), max_length=50, help_text=_("“total”, a country code (JP) or another part of the network.")
    )
    count = models.PositiveIntegerField(_("count"))
    is_approximate = models.BooleanField(_("approximate"), default=False)
    detail = models.TextField(_("detail"), blank=True)
    source_url = models.URLField(_("source URL"), max_length=500)

    class Meta:
        verbose_name = _("published member count")
        verbose_name_plural = _("published member counts")
        ordering = ["network", F("as_of_date").desc(nulls_last=True), "scope"]
        constraints = [
            # The import's key: one count per network, date as given, scope and source.
            models.UniqueConstraint(
                fields=["network", "as_of", "scope", "source_url"], name="member_count_one_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}: {self.count} ({self.scope}, {self.as_of})"

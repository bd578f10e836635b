"""Twinning agreements and their status history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Greatest, Least
from django.utils.translation import gettext_lazy as _

from .places import Municipality


class AgreementKind(models.TextChoices):
    SISTER = "sister", _("Sister city")
    FRIENDSHIP = "friendship", _("Friendship city")
    PARTNERSHIP = "partnership", _("Partnership")
    OTHER = "other", _("Other")


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class DatePrecision(models.TextChoices):
    """How much of a partial date is known: "1986" is year, "1986-04" month, "1986-04-12" day."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class ExchangeCategory(models.TextChoices):
    """CLAIR's grouping of exchange activities (also the fields an agreement covers)."""

    ADMINISTRATIVE = "administrative", _("Administrative")
    EDUCATION = "education", _("Education")
    CULTURE = "culture", _("Culture")
    SPORTS = "sports", _("Sports")
    ECONOMY = "economy", _("Economy and trade")
    TOURISM = "tourism", _("Tourism")
    COOPERATION = "cooperation", _("International cooperation")
    DISASTER_SUPPORT = "disaster_support", _("Disaster support")
    OTHER = "other", _("Other")


class AgreementSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    CLAIR_CSV = "clair_csv", _("CLAIR-style CSV import")
    WORLD_TWIN_PAIRS = "world_twin_pairs", _("World twin-pairs list (Wikipedia)")


class TwinningAgreementQuerySet(models.QuerySet["TwinningAgreement"]):
    def involving(self, municipality: Municipality | int) -> TwinningAgreementQuerySet:
        """Agreements in which the municipality is either side."""
        pk = getattr(municipality, "pk", municipality)
        return self.filter(Q(municipality_a_id=pk) | Q(municipality_b_id=pk))

    def between(self, a: Municipality | int, b: Municipality | int) -> TwinningAgreementQuerySet:
        """The agreement of an unordered pair (A–B is B–A)."""
        a_pk, b_pk = getattr(a, "pk", a), getattr(b, "pk", b)
        return self.filter(
            Q(municipality_a_id=a_pk, municipality_b_id=b_pk) | Q(municipality_a_id=b_pk, municipality_b_id=a_pk)
        )

    def with_sides(self) -> TwinningAgreementQuerySet:
        """Both municipalities (and their parents) in the same query."""
        return self.select_related(
            "municipality_a", "municipality_b", "municipality_a__parent", "municipality_b__parent"
        )


class TwinningAgreement(models.Model):
    """One relationship between two municipalities; the pair is unordered (A–B is B–A)."""

    municipality_a = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality A"),
        on_delete=models.PROTECT,
        related_name="agreements_as_a",
    )
    municipality_b = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality B"),
        on_delete=models.PROTECT,
        related_name="agreements_as_b",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices, default=AgreementKind.SISTER)
    signed_on = models.DateField(
        _("signed on"), null=True, blank=True, help_text=_("Unknown parts are the 1st (see precision).")
    )
    signed_on_precision = models.CharField(
        _("signing date precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Only for fixed-term agreements.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True)
    status_reason = models.TextField(_("reason of the last status change"), blank=True)
    # CLAIR's three criteria; False also means "not recorded".
    heads_signed = models.BooleanField(_("signed by both heads"), default=False)
    fields_unrestricted = models.BooleanField(_("exchange not limited to one field"), default=False)
    assembly_approved = models.BooleanField(_("approved by the local assembly"), default=False)
    clair_countable = models.GeneratedField(
        expression=models.ExpressionWrapper(
            Q(heads_signed=True) & Q(fields_unrestricted=True) & Q(assembly_approved=True),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("CLAIR-countable"),
    )
    exchange_fields = models.JSONField(
        _("fields of exchange"), default=list, blank=True, help_text=_("Exchange categories the agreement covers.")
    )
    public_notes = models.TextField(_("public notes"), blank=True)
    internal_notes = models.TextField(_("internal notes"), blank=True, help_text=_("Never shown to the public."))
    internal_contact = models.TextField(
        _("internal contact"), blank=True, help_text=_("Contact persons; never shown to the public.")
    )
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    source = models.CharField(
        _("source"), max_length=20, choices=AgreementSource.choices, default=AgreementSource.MANUAL
    )
    needs_review = models.BooleanField(
        _("needs review"), default=False, help_text=_("Set by an import that had to decide by coordinates.")
    )
    review_note = models.TextField(_("review note"), blank=True)
    last_activity_on = models.DateField(_("last activity on"), null=True, blank=True, editable=False)
    # Optimistic concurrency (ETag / If-Match): incremented by every service write.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TwinningAgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("twinning agreement")
        verbose_name_plural = _("twinning agreements")
        ordering = ["-signed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(municipality_a=models.F("municipality_b")), name="agreement_not_with_itself"
            ),
            # One agreement per unordered pair, whatever order the two were given in; the database
            # decides when two requests race.
            models.UniqueConstraint(
                Least("municipality_a", "municipality_b"),
                Greatest("municipality_a", "municipality_b"),
                name="agreement_unordered_pair_unique",
                violation_error_message=_("These two municipalities already have an agreement."),
            ),
            models.CheckConstraint(condition=Q(kind__in=AgreementKind.values), name="agreement_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=AgreementStatus.values), name="agreement_status_valid"),
            models.CheckConstraint(
                condition=Q(signed_on_precision__in=DatePrecision.values), name="agreement_precision_valid"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(expires_on__gt=models.F("signed_on")),
                name="agreement_expires_after_signing",
            ),
        ]
        indexes = [
            # involving(m): the B side (the A side is served by the unique pair index's first column
            # only when a is the smaller id, so both sides get their own index).
            models.Index(fields=["municipality_a", "status"], name="agreement_a_status"),
            models.Index(fields=["municipality_b", "status"], name="agreement_b_status"),
            # Growth report: signings per year.
            models.Index(fields=["signed_on"], name="agreement_signed_on"),
            # In-name-only and vitality: active agreements by last activity.
            models.Index(fields=["status", "last_activity_on"], name="agreement_status_last_activity"),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_a} – {self.municipality_b}"

    def other_side(self, municipality: Municipality | int) -> Municipality:
        pk = getattr(municipality, "pk", municipality)
        return self.municipality_b if self.municipality_a_id == pk else self.municipality_a

    @property
    def signed_on_display(self) -> str:
        """The signing date at its known precision: "1986", "1986-04" or "1986-04-12"."""
        if self.signed_on is None:
            return ""
        if self.signed_on_precision == DatePrecision.YEAR:
            return f"{self.signed_on:%Y}"
        if self.signed_on_precision == DatePrecision.MONTH:
            return f"{self.signed_on:%Y-%m}"
        return self.signed_on.isoformat()


class AgreementStatusChange(models.Model):
    """One status change of an agreement: the first row records the status it was signed with."""

    agreement = models.ForeignKey(TwinningAgreement, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=AgreementStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AgreementStatus.choices)
    changed_on = models.DateField(
        null=True, blank=True, help_text=_("Empty when the agreement's signing date is unknown.")
    )
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        ordering = ["agreement", "changed_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(to_status__in=AgreementStatus.values), name="status_change_to_valid"),
            models.CheckConstraint(
                condition=Q(from_status="") | Q(from_status__in=AgreementStatus.values),
                name="status_change_from_valid",
            ),
        ]
        indexes = [
            # Status of an agreement on a date: the latest change on or before it.
            models.Index(fields=["agreement", "changed_on"], name="status_change_agreement_date"),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status} ({self.changed_on or '?'})"

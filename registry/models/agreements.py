"""Twinning agreements and their status history."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import Exact
from django.utils import timezone
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


class Vitality(models.TextChoices):
    """How alive an agreement is on a date (see TwinningAgreementQuerySet.with_vitality)."""

    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    NEVER = "never", _("Never active")
    NEW = "new", _("New")


#: Vitalities that make an active agreement "in name only".
IN_NAME_ONLY_VITALITIES: tuple[str, ...] = (Vitality.DORMANT, Vitality.NEVER)


class CountingBasis(models.TextChoices):
    """Which relationships a report counts: every one, or only CLAIR-countable ones."""

    ALL = "all", _("All relationships")
    CLAIR = "clair", _("CLAIR-countable only")


def home_country() -> str:
    """The home country of the audits when none is given: settings.REGISTRY_HOME_COUNTRY (default JP)."""
    return getattr(settings, "REGISTRY_HOME_COUNTRY", "JP").upper()


def home_side_q(country: str) -> Q:
    """At least one side in `country`: the relationships whose activity the registry records, so the
    only ones that have a vitality (read from the agreement's own side countries)."""
    country = country.upper()
    return Q(country_a=country) | Q(country_b=country)


def audit_scope_q(country: str, *, include_domestic: bool = False) -> Q:
    """The relationships the in-name-only audit of `country` judges: at least one side in `country`
    and, unless `include_domestic`, the other side abroad (as the coverage audit counts them).

    Everything else is outside the audit: a pair of two foreign authorities (nobody logs its
    activity here, so "no activity" says nothing) and, by default, a domestic pair.
    """
    country = country.upper()
    scope = home_side_q(country)
    if not include_domestic:
        scope &= ~Q(country_a=country, country_b=country)
    return scope


def settled_on(as_of: dt.date, *, general: bool = False) -> bool:
    """True when `as_of` is today or later (and `general` is not asked for): then every row's own
    `status` and `last_activity_on` ARE its values as of that day.

    The services refuse signings, status changes and activities in the future
    (registry.services.dates.ensure_not_future, same clock: the registry's time zone), so nothing
    recorded can be later than today; the expressions below then drop their branches that read
    the status history or the activity log for "changed after `as_of`" rows, which cannot exist.
    `general=True` forces the full form (tests compare the two, so the shortcut cannot drift).
    """
    return not general and as_of >= timezone.localdate()


def _years_before(day: dt.date, years: int) -> dt.date:
    # Same rule as registry.services.dates.years_before (the models cannot import the services).
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


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

    def involving_country(self, country: str) -> TwinningAgreementQuerySet:
        """Agreements with at least one side in `country` (ISO alpha-2).

        Read from the agreement's own `country_a` / `country_b`: a BitmapOr over the indexes
        agreement_country_a_b and agreement_country_b_a on PostgreSQL, no join to the sides.
        """
        country = country.upper()
        return self.filter(Q(country_a=country) | Q(country_b=country))

    def foreign_to(self, country: str) -> TwinningAgreementQuerySet:
        """Not a domestic pair of `country`: with involving_country, the pairs with a foreign partner."""
        country = country.upper()
        return self.exclude(country_a=country, country_b=country)

    def foreign(self) -> TwinningAgreementQuerySet:
        """Agreements whose two sides are in different countries."""
        return self.exclude(country_a=F("country_b"))

    def domestic(self) -> TwinningAgreementQuerySet:
        """Agreements whose two sides are in the same country."""
        return self.filter(country_a=F("country_b"))

    def on_basis(self, basis: str) -> TwinningAgreementQuerySet:
        """`all`: every agreement; `clair`: only CLAIR-countable ones (all three criteria recorded)."""
        if basis == CountingBasis.CLAIR:
            return self.filter(clair_countable=True)
        if basis == CountingBasis.ALL:
            return self
        raise ValueError(f"Unknown basis {basis!r}; choose one of {', '.join(CountingBasis.values)}.")

    def signed_by(self, as_of: dt.date) -> TwinningAgreementQuerySet:
        """Signed on or before `as_of`; an unknown signing date counts as before any date."""
        return self.filter(Q(signed_on__isnull=True) | Q(signed_on__lte=as_of))

    def active_on(self, as_of: dt.date, *, general: bool = False) -> TwinningAgreementQuerySet:
        """Agreements that exist and are active on `as_of`.

        Signed on or before `as_of` (an unknown signing date counts as before), and the status on
        that date, read from the status history, was `active`. The common case is answered from
        the row itself: when the last status change is on or before `as_of` (or has no date), the
        current status applies; only agreements whose status changed after `as_of` look into the
        history (the latest change on or before `as_of`; an undated first row counts as before).
        For `as_of` today or later (see settled_on) the current status is the answer.
        """
        if settled_on(as_of, general=general):
            return self.signed_by(as_of).filter(status=AgreementStatus.ACTIVE)
        current_applies = Q(status_changed_on__isnull=True) | Q(status_changed_on__lte=as_of)
        return self.signed_by(as_of).filter(
            Q(current_applies, status=AgreementStatus.ACTIVE)
            # IS NOT NULL first: `NULL > as_of` is NULL, which does not stop the AND, so the
            # history would be read for every undated row.
            | Q(
                Q(status_changed_on__isnull=False),
                Q(status_changed_on__gt=as_of),
                Exact(_status_from_history(as_of), AgreementStatus.ACTIVE),
            )
        )

    def with_status_on(self, as_of: dt.date, *, general: bool = False) -> TwinningAgreementQuerySet:
        """Annotate `status_on`: the status on `as_of` per the status history (None before the signing)."""
        return self.annotate(status_on=status_on_expression(as_of, general=general))

    def audited(self, *, country: str | None = None, include_domestic: bool = False) -> TwinningAgreementQuerySet:
        """The relationships the in-name-only audit of `country` (default: the home country) judges;
        see audit_scope_q."""
        return self.filter(audit_scope_q(country or home_country(), include_domestic=include_domestic))

    def with_vitality(
        self,
        *,
        as_of: dt.date,
        years: int = 3,
        grace_years: int = 1,
        general: bool = False,
        country: str | None = None,
        include_domestic: bool = False,
        exclude_demo: bool = False,
    ) -> TwinningAgreementQuerySet:
        """Annotate `status_on`, `last_activity_as_of`, `vitality`, `in_name_only` and
        `vitality_rests_on_demo` for `as_of`, judged for the home country `country` (default:
        settings.REGISTRY_HOME_COUNTRY).

        `last_activity_as_of`: the latest activity on or before `as_of` (activities after it do not
        count, so a past date gives what the registry said that day); None when there is none. Demo
        activity (ActivityLog.is_demo) counts unless `exclude_demo`.
        `vitality`: `active` when that activity is on or after the date `years` before `as_of`,
        `dormant` when it is before; with no activity, `never` when signed on or before the date
        `grace_years` before `as_of` (an unknown signing date counts as old), `new` otherwise.
        None when neither side is in `country`: the registry does not record their activity.
        `in_name_only`: status `active` on `as_of` (signed by then) and vitality dormant or never;
        None outside the audit (see audit_scope_q: no side in `country`, or a domestic pair unless
        `include_domestic`), False otherwise.
        `vitality_rests_on_demo`: the vitality would differ without the demo activity (always False
        with `exclude_demo`; None when there is no vitality).

        For `as_of` today or later (see settled_on) `status_on` is the row's `status` and
        `last_activity_as_of` its `last_activity_on` (`last_real_activity_on` without demo rows):
        no subquery, far cheaper to build and run.
        """
        country = (country or home_country()).upper()
        window_start = _years_before(as_of, years)
        grace_start = _years_before(as_of, grace_years)
        home_side = home_side_q(country)
        queryset = self.annotate(
            status_on=status_on_expression(as_of, general=general),
            last_activity_as_of=last_activity_as_of_expression(as_of, general=general, exclude_demo=exclude_demo),
            vitality=_vitality_case(home_side, "last_activity_as_of", window_start, grace_start),
        )
        if exclude_demo:
            rests_on_demo = Case(
                When(home_side, then=Value(False)), default=Value(None), output_field=models.BooleanField(null=True)
            )
        else:
            # The vitality again from the latest activity that is not demo data; compared, not shown.
            queryset = queryset.alias(
                last_real_activity_as_of=last_activity_as_of_expression(as_of, general=general, exclude_demo=True),
                vitality_without_demo=_vitality_case(home_side, "last_real_activity_as_of", window_start, grace_start),
            )
            rests_on_demo = Case(
                When(~home_side, then=Value(None)),
                When(vitality=F("vitality_without_demo"), then=Value(False)),
                default=Value(True),
                output_field=models.BooleanField(null=True),
            )
        return queryset.annotate(
            in_name_only=Case(
                When(~audit_scope_q(country, include_domestic=include_domestic), then=Value(None)),
                When(
                    Q(status_on=AgreementStatus.ACTIVE, vitality__in=IN_NAME_ONLY_VITALITIES)
                    & (Q(signed_on__isnull=True) | Q(signed_on__lte=as_of)),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=models.BooleanField(null=True),
            ),
            vitality_rests_on_demo=rests_on_demo,
        )

    def in_name_only(
        self,
        *,
        as_of: dt.date,
        years: int = 3,
        grace_years: int = 1,
        country: str | None = None,
        include_domestic: bool = False,
        exclude_demo: bool = False,
        annotate: bool = True,
    ) -> TwinningAgreementQuerySet:
        """The relationships in name only on `as_of` in the audit of `country` (default: the home
        country): the one rule the reports, the API filter and the admin all call.

        In the audit (audit_scope_q: a side in `country`, the other abroad unless
        `include_domestic`), active on `as_of`, vitality `dormant` or `never` (see with_vitality;
        demo activity counts unless `exclude_demo`). Suspended and terminated agreements are never
        in name only: they do not claim to be alive. Annotated as with_vitality unless
        `annotate=False` (for a queryset that already is, e.g. the API's list recipe).

        Filtered by plain date ranges over `last_activity_on` (`last_real_activity_on` without
        demo rows) and `signed_on` (see silent_on_q), not by the `vitality` annotation, so the
        filter needs no per-row CASE.
        """
        # The filters keep their general form even for today (see settled_on): their branch for
        # rows changed after `as_of` finds none through agreement_status_last_activity and its
        # subqueries never run, but without it PostgreSQL costs the whole filter so cheaply that it
        # picks a parallel scan of the table (~65 ms at 200,000 agreements) over the bitmap of the
        # country and last-activity indexes (~32 ms). The annotations take the shortcut.
        country = (country or home_country()).upper()
        queryset = (
            self.active_on(as_of, general=True)
            .audited(country=country, include_domestic=include_domestic)
            .filter(
                silent_on_q(as_of=as_of, years=years, grace_years=grace_years, general=True, exclude_demo=exclude_demo)
            )
        )
        if not annotate:
            return queryset
        return queryset.with_vitality(
            as_of=as_of,
            years=years,
            grace_years=grace_years,
            country=country,
            include_domestic=include_domestic,
            exclude_demo=exclude_demo,
        )

    def counted(
        self, *, as_of: dt.date, basis: str = CountingBasis.ALL, include_domestic: bool = False
    ) -> TwinningAgreementQuerySet:
        """The relationships the coverage audit counts on `as_of`.

        Active on `as_of` (see active_on), CLAIR-countable when `basis` is `clair`, and with a
        partner in another country unless `include_domestic`.
        """
        queryset = self.active_on(as_of).on_basis(basis)
        return queryset if include_domestic else queryset.foreign()


def _vitality_dates(as_of: dt.date, years: int, grace_years: int) -> tuple[dt.date, dt.date]:
    """The first day of the activity window and the grace date (see with_vitality)."""
    return _years_before(as_of, years), _years_before(as_of, grace_years)


def _vitality_case(home_side: Q, last_activity: str, window_start: dt.date, grace_start: dt.date) -> Case:
    """with_vitality's `vitality` from the annotation named `last_activity` (None off the home side)."""
    last = {f"{last_activity}__gte": window_start}
    return Case(
        When(~home_side, then=Value(None)),
        When(Q(**last), then=Value(Vitality.ACTIVE)),
        When(Q(**{f"{last_activity}__isnull": False}), then=Value(Vitality.DORMANT)),
        When(Q(signed_on__isnull=True) | Q(signed_on__lte=grace_start), then=Value(Vitality.NEVER)),
        default=Value(Vitality.NEW),
        output_field=models.CharField(null=True),
    )


def _last_activity_column(exclude_demo: bool) -> str:
    """The stored latest activity: every row's (`last_activity_on`) or only real ones' (`last_real_activity_on`)."""
    return "last_real_activity_on" if exclude_demo else "last_activity_on"


def _activities_between(start: dt.date | None, end: dt.date, *, exclude_demo: bool = False) -> models.Exists:
    from .activity import ActivityLog  # activity.py imports this module

    activities = ActivityLog.objects.filter(agreement=OuterRef("pk"), occurred_on__lte=end)
    if start is not None:
        activities = activities.filter(occurred_on__gte=start)
    if exclude_demo:
        activities = activities.filter(is_demo=False)
    return models.Exists(activities.order_by())


def live_on_q(
    *, as_of: dt.date, years: int = 3, grace_years: int = 1, general: bool = False, exclude_demo: bool = False
) -> Q:
    """Vitality `active` or `new` on `as_of` (see with_vitality), as plain date ranges.

    Fast path (`last_activity_on` on or before `as_of` — always so for today — or none): the
    row's own `last_activity_on` and `signed_on` decide. Only an agreement with activity after
    `as_of` reads the activity log (activity_agreement_date serves it): active when it has one in
    the window, new when it has none on or before `as_of` and was signed after the grace date.
    `exclude_demo`: the same over real activity only (`last_real_activity_on`, `is_demo` false).
    """
    window_start, grace_start = _vitality_dates(as_of, years, grace_years)
    last = _last_activity_column(exclude_demo)
    new = Q(signed_on__isnull=False, signed_on__gt=grace_start)
    fast = Q(**{f"{last}__gte": window_start, f"{last}__lte": as_of}) | Q(new, **{f"{last}__isnull": True})
    if settled_on(as_of, general=general):  # no activity after `as_of` can exist
        return fast
    return fast | Q(
        # IS NOT NULL first: `NULL > as_of` is NULL, which would not stop the AND.
        Q(**{f"{last}__isnull": False}),
        Q(**{f"{last}__gt": as_of}),
        Q(_activities_between(window_start, as_of, exclude_demo=exclude_demo))
        | Q(new, ~_activities_between(None, as_of, exclude_demo=exclude_demo)),
    )


def silent_on_q(
    *, as_of: dt.date, years: int = 3, grace_years: int = 1, general: bool = False, exclude_demo: bool = False
) -> Q:
    """Vitality `dormant` or `never` on `as_of` (see with_vitality), as plain date ranges.

    The complement of live_on_q, written so that the fast path is `last_activity_on < window
    start` or `last_activity_on IS NULL` (the index agreement_status_last_activity serves both
    for active agreements); only an agreement with activity after `as_of` reads the log: silent
    when none is in the window and either an older one exists or it was signed by the grace date.
    `exclude_demo`: the same over real activity only (`last_real_activity_on`, served by
    agreement_status_last_real_activity; `is_demo` false in the log).
    """
    window_start, grace_start = _vitality_dates(as_of, years, grace_years)
    last = _last_activity_column(exclude_demo)
    old = Q(signed_on__isnull=True) | Q(signed_on__lte=grace_start)
    fast = Q(**{f"{last}__lt": window_start}) | Q(old, **{f"{last}__isnull": True})
    if settled_on(as_of, general=general):  # no activity after `as_of` can exist
        return fast
    return fast | Q(
        Q(**{f"{last}__isnull": False}),  # first: see live_on_q
        Q(**{f"{last}__gt": as_of}),
        ~_activities_between(window_start, as_of, exclude_demo=exclude_demo),
        Q(_activities_between(None, window_start - dt.timedelta(days=1), exclude_demo=exclude_demo)) | old,
    )


def status_on_expression(as_of: dt.date, *, general: bool = False) -> Case | F:
    """The status on `as_of`: the current one when it last changed on or before that date (or the
    change is undated), otherwise the latest history row on or before it (None if there is none).
    For `as_of` today or later (see settled_on): the current one."""
    if settled_on(as_of, general=general):
        return F("status")
    return Case(
        When(Q(status_changed_on__isnull=True) | Q(status_changed_on__lte=as_of), then=F("status")),
        default=_status_from_history(as_of),
        output_field=models.CharField(),
    )


def _status_from_history(as_of: dt.date) -> Subquery:
    return Subquery(
        AgreementStatusChange.objects.filter(agreement=OuterRef("pk"))
        .filter(Q(changed_on__isnull=True) | Q(changed_on__lte=as_of))
        .chronological()
        .reverse()  # the latest first: changed_on DESC NULLS LAST, id DESC
        .values("to_status")[:1],
        output_field=models.CharField(),
    )


def last_activity_as_of_expression(as_of: dt.date, *, general: bool = False, exclude_demo: bool = False) -> Case | F:
    """The latest activity on or before `as_of`: `last_activity_on` itself unless it is later than
    `as_of`; only then the activity log is read (the index activity_agreement_date serves it).
    For `as_of` today or later (see settled_on): `last_activity_on` itself.
    `exclude_demo`: the latest real activity (`last_real_activity_on`; demo rows skipped in the log)."""
    from .activity import ActivityLog  # activity.py imports this module

    last = _last_activity_column(exclude_demo)
    if settled_on(as_of, general=general):
        return F(last)

    activities = ActivityLog.objects.filter(agreement=OuterRef("pk"), occurred_on__lte=as_of)
    if exclude_demo:
        activities = activities.filter(is_demo=False)
    return Case(
        When(Q(**{f"{last}__isnull": True}) | Q(**{f"{last}__lte": as_of}), then=F(last)),
        default=Subquery(
            activities.order_by("-occurred_on").values("occurred_on")[:1],
            output_field=models.DateField(),
        ),
        output_field=models.DateField(),
    )


#: Columns carried by the side-country indexes (see TwinningAgreement.Meta.indexes).
SIDE_COUNTRY_INCLUDE: tuple[str, ...] = (
    "municipality_a",
    "municipality_b",
    "signed_on",
    "status",
    "status_changed_on",
    "id",
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
    # The two sides' countries, copied from the municipalities by every service that writes an
    # agreement (an authority's country does not change while it has agreements: see
    # registry.services.municipalities.check_country_change), so that the country reports select
    # by country without joining both sides per row. Required, no default: a forgotten copy fails.
    country_a = models.CharField(_("country of A"), max_length=2, editable=False)
    country_b = models.CharField(_("country of B"), max_length=2, editable=False)
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
    # The same without demo activity (ActivityLog.is_demo): the audits' figures "without demo rows".
    last_real_activity_on = models.DateField(
        _("last real activity on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The latest activity that is not demo data."),
    )
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
            models.CheckConstraint(
                condition=Q(country_a__regex=r"^[A-Z]{2}$") & Q(country_b__regex=r"^[A-Z]{2}$"),
                name="agreement_side_countries_iso_alpha2",
            ),
        ]
        indexes = [
            # involving(m): the B side (the A side is served by the unique pair index's first column
            # only when a is the smaller id, so both sides get their own index).
            models.Index(fields=["municipality_a", "status"], name="agreement_a_status"),
            models.Index(fields=["municipality_b", "status"], name="agreement_b_status"),
            # The country reports, by the agreements' own side countries: a country's agreements
            # as A here, as B in agreement_country_b_a — involving_country / foreign_to (partner
            # countries, in name only, growth: a BitmapOr of the two) and gaps foreign's lists of
            # the country's partners (one (home, partner) range per side with a partner country).
            # The included columns are those that partner countries and gaps foreign read
            # (active_on's, the sides; `id` for the status history), so both are index-only scans.
            models.Index(fields=["country_a", "country_b"], include=SIDE_COUNTRY_INCLUDE, name="agreement_country_a_b"),
            models.Index(fields=["country_b", "country_a"], include=SIDE_COUNTRY_INCLUDE, name="agreement_country_b_a"),
            # Gaps foreign, a page of the largest authorities first: "is this authority, as B,
            # linked to one of the country's (as A)?" — and as A here, with the country as B — one
            # index probe per authority read in population order.
            models.Index(fields=["municipality_b", "country_a"], name="agreement_b_country_a"),
            models.Index(fields=["municipality_a", "country_b"], name="agreement_a_country_b"),
            # Growth report: signings per year.
            models.Index(fields=["signed_on"], name="agreement_signed_on"),
            # In-name-only and vitality: active agreements by last activity.
            models.Index(fields=["status", "last_activity_on"], name="agreement_status_last_activity"),
            # The same without demo activity (exclude_demo), and the in-name-only report's count of
            # the relationships whose verdict rests on demo rows (a BitmapOr with the one above).
            models.Index(fields=["status", "last_real_activity_on"], name="agreement_status_last_real"),
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


#: The order of an agreement's status history, the same on every database: oldest first, an undated
#: row (the first one, when the signing date is unknown) before any dated one, ties by id. An order by
#: `changed_on` alone differs: PostgreSQL puts NULL last, SQLite first.
STATUS_HISTORY_ORDER = (F("changed_on").asc(nulls_first=True), "pk")


class AgreementStatusChangeQuerySet(models.QuerySet["AgreementStatusChange"]):
    def chronological(self) -> AgreementStatusChangeQuerySet:
        """Oldest first (STATUS_HISTORY_ORDER); `.reverse()` gives the latest first, undated rows last."""
        return self.order_by(*STATUS_HISTORY_ORDER)


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

    objects = AgreementStatusChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        # By agreement (its id: "agreement" would sort by the agreement's own ordering, a join), then
        # STATUS_HISTORY_ORDER; `agreement.status_changes.all()` is then the history in order.
        ordering = ["agreement_id", *STATUS_HISTORY_ORDER]
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

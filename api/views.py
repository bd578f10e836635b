"""Viewsets: visible rows + query shape, a FilterSet, per-action permissions, writes through services.

Lost updates (ETag / If-Match): a detail GET answers `ETag: "<version>"`. Every PATCH,
DELETE and change-status **must** send it back in `If-Match`: without it the answer is
428 Precondition Required, with an older version 412 Precondition Failed (the service compares
under a row lock, so two editors cannot both win), with something that is not one of our ETags
400. `If-Match: *` means "whatever the current version is" and is for scripts that knowingly
overwrite.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import DateField, DateTimeField, F, Prefetch, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

from registry.models import (
    ActivityLog,
    AgreementStatusChange,
    ChangeRecord,
    Municipality,
    Network,
    NetworkMembership,
    TwinningAgreement,
)
from registry.services import access
from registry.services.activity import delete_activity, log_activity, update_activity
from registry.services.agreements import change_status, delete_agreement, sign_agreement, update_agreement
from registry.services.dates import today
from registry.services.diplomacy import profile as diplomacy_profile
from registry.services.memberships import delete_membership, join_network, update_membership

from . import diplomacy as api_diplomacy
from . import exports, filters, permissions, serializers
from .authentication import RegistrySessionAuthentication
from .caching import public_data
from .exceptions import LockedOut, PreconditionRequired

# --- The audits' annotations, built once per day -------------------------------------------------


@functools.lru_cache(maxsize=16)
def _agreements_as_of(
    as_of: dt.date, country: str | None = None, include_domestic: bool = False, exclude_demo: bool = False
) -> QuerySet[TwinningAgreement]:
    """Agreements annotated with vitality / in_name_only on `as_of` for the home country `country`
    (default: the registry's), `include_domestic` and `exclude_demo` (see with_vitality); never
    evaluated: callers chain on it.

    Building these expressions costs more than running the query they compile to (milliseconds of
    Python per request, see `manage.py bench_api`); an unevaluated QuerySet is a recipe, so one per
    day, audit parameters and process is reused and every request chains its own filters onto a copy.
    """
    return TwinningAgreement.objects.with_vitality(
        as_of=as_of, country=country, include_domestic=include_domestic, exclude_demo=exclude_demo
    )


def audit_params(query_params: Any) -> tuple[str | None, bool, bool]:
    """The home country, include_domestic and exclude_demo a request asks the agreements' vitality for.

    Read leniently: a bad value gives the default here, and the FilterSet, which validates the same
    parameters, answers 400 naming it.
    """
    country = (query_params.get("country") or "").strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        country = None

    def flag(name: str) -> bool:
        return (query_params.get(name) or "").strip().lower() in filters.StrictBooleanField.TRUE

    return country, flag("include_domestic"), flag("exclude_demo")


@functools.lru_cache(maxsize=4)
def _municipalities_as_of(as_of: dt.date) -> QuerySet[Municipality]:
    """Municipalities annotated with agreement_count on `as_of` (the same recipe reuse as above)."""
    return Municipality.objects.with_agreement_counts(as_of=as_of)


# --- ETag / If-Match -------------------------------------------------------------------------------

_ETAG = re.compile(r'^"(\d{1,18})"$')

IF_MATCH = OpenApiParameter(
    name="If-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        'The ETag of the version you edited, as the detail GET returned it (e.g. "3"); `*` overwrites whatever '
        "is current. Missing: 428. Stale: 412. Not an ETag: 400."
    ),
)
ETAG_HEADER = OpenApiResponse(description="The record; its `ETag` header carries its version for If-Match.")


def etag_of(obj: Any) -> str:
    return f'"{obj.version}"'


def expected_version(request: Request, current: int) -> int | None:
    """The version the client edited, from If-Match (see the module docstring for the policy)."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        raise PreconditionRequired()
    if header == "*":
        return None
    versions = []
    for part in header.split(","):
        match = _ETAG.match(part.strip())
        if match is None:
            raise ParseError(
                f'If-Match must be an ETag this API gave out, such as "3" with the quotes, or *; got {header[:100]!r}.'
            )
        versions.append(int(match[1]))
    # Several ETags: the write may go ahead if any of them is current (RFC 9110, 13.1.1); the service
    # checks again under the row lock.
    return current if current in versions else versions[0]


class ETagRetrieveMixin:
    """GET detail with an ETag header built from the object's `version`."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = etag_of(instance)
        return response


#: Query parameters that do not change which rows a list answers, only which page and how it is written.
PAGE_ONLY_PARAMS = frozenset({"page", "page_size", "format"})


#: Backend converters the lean row shapes do themselves (api.serializers: `_iso`, `_partial_date`,
#: `bool()`): SQLite's text → date (written back as the same ISO text) and 0/1 → bool.
SHAPED_BY_HAND = frozenset({"convert_datefield_value", "convert_booleanfield_value"})


class _CompiledPage:
    """One `.values()` page query compiled to SQL once: its text, parameters, column names and converters."""

    def __init__(self, queryset: QuerySet) -> None:
        query = queryset.query
        compiler = query.get_compiler(using=queryset.db)
        self.model = queryset.model
        self.names = tuple(
            name.removeprefix(ISO_TEXT)
            for name in (
                query.selected
                if query.selected
                else (*query.extra_select, *query.values_select, *query.annotation_select)
            )
        )
        try:
            self.sql, self.params = compiler.as_sql()
        except EmptyResultSet:  # a filter that no row can meet (e.g. `pk__in=[]`)
            self.sql, self.params = None, ()
            return
        # As SQLCompiler.results_iter: the backend's and the fields' converters (dates on SQLite,
        # JSON, booleans), by column.
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        self.converters = [
            (position, (kept, expression))
            for position, (functions, expression) in converters.items()
            if (kept := [function for function in functions if function.__name__ not in SHAPED_BY_HAND])
        ]

    def rows(self) -> list[Any]:
        """The rows as tuples (lists when a column was converted) in the order of `names`."""
        if self.sql is None:
            return []
        # The database of this request, not of the one that compiled it: a read replica answers the
        # public, the primary everyone else (registry.routers); the SQL is the same.
        connection = connections[router.db_for_read(self.model)]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.params)
            rows = cursor.fetchall()
        converters = self.converters
        if converters:
            for index, row in enumerate(rows):
                row = rows[index] = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
        return rows


@functools.lru_cache(maxsize=256)
def _compiled_count(recipe: QuerySet) -> tuple[str, tuple] | None:
    try:
        sql, params = recipe.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that no row can meet
        return None
    return f"SELECT COUNT(*) FROM ({sql}) counted", tuple(params)


def _stable_ordering(recipe: QuerySet) -> list[str]:
    """`recipe`'s ordering (its default one unless it was ordered), ties broken by key."""
    ordering = list(recipe.query.order_by or recipe.model._meta.ordering)
    if "pk" not in ordering and "-pk" not in ordering and "id" not in ordering and "-id" not in ordering:
        ordering.append("pk")  # ties in a stable order, within the page and across pages
    return ordering


@functools.lru_cache(maxsize=256)
def _compiled_page(
    recipe: QuerySet, base: QuerySet, row_values: tuple[str, ...], start: int, stop: int
) -> _CompiledPage:
    """The rows start:stop of `recipe` in its ordering (its default one unless it was ordered), as
    `base`'s `.values(*row_values)`: `recipe` is `base` with filters, and the outer query selects
    the page's rows by key alone, so the annotations are computed for those rows only."""
    ordering = _stable_ordering(recipe)
    keys = recipe
    if recipe.query.distinct:
        # DISTINCT would put the ordering's columns in the keys' SELECT: filter by them instead.
        keys = base.filter(pk__in=recipe.order_by().values("pk"))
    page_ids = keys.order_by(*ordering).values("pk")[start:stop]  # sliced: keeps the ordering inside IN (…)
    rows = base.filter(pk__in=page_ids).order_by(*ordering)
    dates = _sqlite_date_columns(base, row_values)
    if not dates:
        return _CompiledPage(rows.values(*row_values))
    # SQLite: the dates as their stored ISO text (CAST has no declared type, so sqlite3 does not
    # parse them into dates that the row shape would write back as the same text).
    rows = rows.annotate(**{ISO_TEXT + name: Cast(name, TextField()) for name in dates})
    return _CompiledPage(rows.values(*(ISO_TEXT + name if name in dates else name for name in row_values)))


#: Prefix of the SQLite ISO-text date columns (see _compiled_page), dropped from the row names.
ISO_TEXT = "iso_text_"


def _sqlite_date_columns(queryset: QuerySet, row_values: tuple[str, ...]) -> frozenset[str]:
    """The plain DateField columns among `row_values` when `queryset` reads SQLite, else none."""
    if connections[queryset.db].vendor != "sqlite":
        return frozenset()
    fields = {field.name: field for field in queryset.model._meta.concrete_fields}
    return frozenset(
        name
        for name in row_values
        if isinstance(fields.get(name), DateField) and not isinstance(fields.get(name), DateTimeField)
    )


class PreparedRows:
    """A list as the paginator sees it (`count()` and slices), run from SQL compiled once.

    Compiling the audits' annotated queries costs milliseconds of Python, several times what running
    them costs (see `manage.py bench_api`). The SQL depends only on the recipe (one per day, see
    _agreements_as_of; with filters, one per day and filter parameters, see _filtered_recipe) and
    the page bounds, so it is compiled once per (recipe, bounds) and every request just executes
    it: 2 queries (COUNT and the page).
    """

    #: Its count may be a cached figure (api.pagination.RegistryPagination), as a QuerySet's.
    counts_like_a_queryset = True

    def __init__(self, recipe: QuerySet, row_values: tuple[str, ...], base: QuerySet | None = None) -> None:
        self.recipe = recipe
        self.base = recipe if base is None else base
        self.row_values = row_values
        self.names = row_values  # the columns of the rows last sliced (see __getitem__)

    def count(self) -> int:
        compiled = _compiled_count(self.recipe)
        if compiled is None:
            return 0
        sql, params = compiled
        with connections[self.recipe.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def __getitem__(self, bounds: slice) -> list[Any]:
        page = _compiled_page(self.recipe, self.base, self.row_values, bounds.start or 0, bounds.stop)
        self.names = page.names  # the columns of the rows, for the row shape
        return page.rows()


#: Filtered recipes by (view, unfiltered recipe, filter parameters); see LeanListMixin.list.
_FILTERED_RECIPES: collections.OrderedDict[tuple, QuerySet] = collections.OrderedDict()
_FILTERED_RECIPES_MAX = 256
_FILTERED_RECIPES_LOCK = threading.Lock()
#: Longer filter parameters are not remembered (they are filtered through the FilterSet every time).
_FILTER_KEY_MAX = 1000


def _filter_key(query_params: Any) -> tuple | None:
    """The filter parameters (all but PAGE_ONLY_PARAMS) as a hashable key, None when too long to keep."""
    key = tuple(
        sorted((name, tuple(query_params.getlist(name))) for name in query_params if name not in PAGE_ONLY_PARAMS)
    )
    if sum(len(name) + sum(len(value) for value in values) for name, values in key) > _FILTER_KEY_MAX:
        return None
    return key


class LeanListMixin:
    """list() in two light steps, shaped by `shape_rows` (see api.serializers, "Lean list rows").

    1. The page of ids, from the filtered and ordered QuerySet: `.values_list("pk")` leaves out every
       annotation the filters and the ordering do not use, so the audits' per-row expressions are not
       computed for every row of the table just to sort it.
    2. Those rows' `.values_list(*row_values)`, annotations included, put back in the page's order.

    A request with no filter parameter (only page, page_size, format) skips the FilterSet and the
    ORM altogether: see PreparedRows and `unfiltered_recipe`. With filter parameters, while the
    unfiltered recipe applies (every user may read every row), the FilterSet validates them and
    filters the recipe once; the filtered recipe is remembered under the exact parameters (only
    once they were valid: a bad value is a 400 every time) and answered as PreparedRows too.
    """

    row_values: tuple[str, ...] = ()
    shape_rows: Any = None

    def unfiltered_recipe(self) -> QuerySet | None:
        """The unevaluated, unfiltered QuerySet every user may read in full, or None (then no fast path)."""
        return None

    @public_data
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if exports.export_format(request) is not None:
            return super().list(request, *args, **kwargs)  # every row: RegistryViewSet.list, export_rows
        shape = type(self).shape_rows
        recipe = self.unfiltered_recipe()
        if recipe is not None:
            params = request.query_params
            if PAGE_ONLY_PARAMS.issuperset(params):
                rows = PreparedRows(recipe, self.row_values)
            else:
                filtered = self._filtered_recipe(recipe, _filter_key(params))
                rows = PreparedRows(filtered, self.row_values, base=recipe)
            page = self.paginate_queryset(rows)
            return self.get_paginated_response(shape(page, rows.names, self.get_serializer_context()))
        ids = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values_list("pk", flat=True))
        names = self.row_values  # `id` first
        by_id = {row[0]: row for row in self.get_queryset().filter(pk__in=ids).order_by().values_list(*names)}
        return self.get_paginated_response(shape([by_id[pk] for pk in ids], names, self.get_serializer_context()))

    def export_rows(self, context: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every row the list answers (the same filters, visibility, order and shape), a chunk at a time."""
        recipe = self.unfiltered_recipe()
        if recipe is not None:
            params = self.request.query_params
            base = recipe
            filtered = (
                recipe if PAGE_ONLY_PARAMS.issuperset(params) else self._filtered_recipe(recipe, _filter_key(params))
            )
        else:
            base = self.get_queryset()
            filtered = self.filter_queryset(base)
        ordering = _stable_ordering(filtered)
        if filtered.query.distinct:
            # As _compiled_page: DISTINCT over the annotated rows would compare every column; filter by key.
            filtered = base.filter(pk__in=filtered.order_by().values("pk"))
        rows = filtered.order_by(*ordering).values_list(*self.row_values)
        shape, names = type(self).shape_rows, self.row_values
        return (
            row
            for chunk in exports.chunks(rows.iterator(chunk_size=exports.CHUNK_SIZE))
            for row in shape(chunk, names, context)
        )

    def _filtered_recipe(self, recipe: QuerySet, key: tuple | None) -> QuerySet:
        """`recipe` through the filter backends (which validate: 400 on bad input), remembered by `key`."""
        cache_key = (type(self), recipe, key)
        if key is not None:
            with _FILTERED_RECIPES_LOCK:
                filtered = _FILTERED_RECIPES.get(cache_key)
                if filtered is not None:
                    _FILTERED_RECIPES.move_to_end(cache_key)
                    return filtered
        filtered = self.filter_queryset(self.get_queryset())
        if key is not None:
            with _FILTERED_RECIPES_LOCK:
                _FILTERED_RECIPES[cache_key] = filtered
                while len(_FILTERED_RECIPES) > _FILTERED_RECIPES_MAX:
                    _FILTERED_RECIPES.popitem(last=False)
        return filtered


class RegistryViewSet(viewsets.GenericViewSet):
    # Token first: an anonymous write then answers 401 with `WWW-Authenticate: Token` (session first
    # would make it a 403). Session authentication still enforces CSRF.
    authentication_classes = [TokenAuthentication, RegistrySessionAuthentication]
    filterset_class: type | None = None
    csv_filename = "registry-export"
    #: Columns never public: left out of an export for users who may read them on no row.
    private_columns: tuple[str, ...] = ()

    @public_data
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page (ListModelMixin); `?format=csv` / `xlsx`: every row as a file (api.exports)."""
        format_ = exports.export_format(request)
        if format_ is None:
            return super().list(request, *args, **kwargs)
        context = self.get_serializer_context()
        columns = exports.serializer_columns(self.get_serializer_class()(context=context))
        if not context["internal_ids"]:
            columns = [name for name in columns if name not in self.private_columns]
        rows = self.export_rows(context)  # filtered now: a bad filter is a 400 before anything is sent
        return exports.export_response(rows=rows, columns=columns, filename=self.csv_filename, format=format_)

    def export_rows(self, context: dict[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every row the list answers, serialized a chunk at a time."""
        queryset = self.filter_queryset(self.get_queryset())
        queryset = queryset.order_by(*_stable_ordering(queryset))
        return exports.serialized_rows(queryset, self.get_serializer_class(), context)

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        """DRF's negotiation, answered at once in the common case: no `format` (suffix or parameter)
        and no Accept header or `*/*` pick the first renderer, JSON (what DRF would pick too)."""
        renderer_class = self.renderer_classes[0]
        if (
            self.format_kwarg is None
            and request.META.get("HTTP_ACCEPT", "*/*") == "*/*"
            and api_settings.URL_FORMAT_OVERRIDE not in request._request.GET
            and issubclass(renderer_class, JSONRenderer)
        ):
            return renderer_class(), renderer_class.media_type
        return super().perform_content_negotiation(request, force)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["internal_ids"] = serializers.internal_ids_for(self.request.user)
        return context

    def detail_response(self, instance: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The object as a detail GET would show it (fetched again for annotations), with its ETag."""
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(instance).data, status=status_code)
        response["ETag"] = etag_of(instance)
        return response


# --- Municipalities and networks (reference data: read-only here, kept by imports and the admin) -----


class VersionedWritesMixin:
    """PATCH / DELETE of a versioned row through its service, with If-Match (see the module docstring).

    A viewset names its input serializer and its two services; the service receives the object under
    the name of the model (`agreement=`, `activity=`, `membership=`) and the version the client edited.
    """

    update_serializer_class: type[BaseSerializer]
    update_service: Callable[..., Any]
    delete_service: Callable[..., None]
    service_argument: str

    # No PUT: an edit changes the fields sent and keeps the rest (PATCH). A PUT that did the same
    # would not be the full replacement HTTP promises, so it is not offered (405).
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        version = expected_version(request, instance.version)
        payload = self.update_serializer_class(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        instance = self.update_service(
            **{self.service_argument: instance}, by=request.user, expected_version=version, **payload.validated_data
        )
        return self.detail_response(instance)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        self.delete_service(
            **{self.service_argument: instance},
            by=request.user,
            expected_version=expected_version(request, instance.version),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="Municipalities, home and foreign", parameters=[exports.FORMAT_PARAMETER]),
    retrieve=extend_schema(summary="One municipality"),
)
class MunicipalityViewSet(LeanListMixin, RegistryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = serializers.MunicipalitySerializer
    row_values = serializers.MUNICIPALITY_ROW_VALUES
    shape_rows = serializers.municipality_rows
    filterset_class = filters.MunicipalityFilter
    permission_classes = [AllowAny]  # public reference data; no writes here
    csv_filename = "municipalities"

    def unfiltered_recipe(self) -> QuerySet[Municipality]:
        return _municipalities_as_of(today())

    def get_queryset(self) -> QuerySet[Municipality]:
        # agreement_count: the audits' rule (relationships active today with a foreign partner).
        return _municipalities_as_of(today()).select_related("parent")

    @extend_schema(
        summary="One authority's city-diplomacy profile",
        description=(
            "The bilateral side (relationships, live ones, partner countries and continents, activities of the "
            "last `years` by category), the multilateral side (network memberships by scale and role), the "
            "review's cooperation dimensions and an index of the indicators the registry can measure, each "
            "part with what it counts, and the authority's percentile within its country's tier. Weights and "
            "mappings: registry/services/diplomacy.py."
        ),
        parameters=[api_diplomacy.ProfileParamsSerializer],
        responses=api_diplomacy.DiplomacyProfileSerializer,
    )
    @action(detail=True, methods=["get"], url_path="diplomacy", filter_backends=[])
    def diplomacy(self, request: Request, pk: str | None = None) -> Response:
        params = api_diplomacy.parse_profile_params(request)
        place = self.get_object()
        return Response(api_diplomacy.DiplomacyProfileSerializer(diplomacy_profile(municipality=place, **params)).data)


@extend_schema_view(
    list=extend_schema(summary="City networks", parameters=[exports.FORMAT_PARAMETER]),
    retrieve=extend_schema(summary="One city network"),
)
class NetworkViewSet(RegistryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    queryset = Network.objects.all()
    serializer_class = serializers.NetworkSerializer
    filterset_class = filters.NetworkFilter
    permission_classes = [AllowAny]  # public reference data; no writes here
    csv_filename = "networks"


# --- Agreements ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Twinning agreements", parameters=[exports.FORMAT_PARAMETER]),
    retrieve=extend_schema(
        summary="One agreement with its status history", responses={200: serializers.AgreementDetailSerializer}
    ),
    create=extend_schema(
        summary="Record an agreement",
        request=serializers.AgreementCreateSerializer,
        responses={201: serializers.AgreementDetailSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit some fields of an agreement",
        parameters=[IF_MATCH],
        request=serializers.AgreementUpdateSerializer,
        responses={200: serializers.AgreementDetailSerializer},
    ),
    destroy=extend_schema(summary="Delete an agreement recorded in error (coordinators)", parameters=[IF_MATCH]),
)
class AgreementViewSet(
    LeanListMixin,
    ETagRetrieveMixin,
    VersionedWritesMixin,
    RegistryViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    filterset_class = filters.AgreementFilter
    csv_filename = "agreements"
    private_columns = serializers.AGREEMENT_INTERNAL_FIELDS
    row_values = serializers.AGREEMENT_ROW_VALUES
    shape_rows = serializers.agreement_rows

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "retrieve"):
            # The register is public; the serializer hides internal fields row by row.
            return [AllowAny()]
        if self.action == "create":
            # Coordinators, or staff of some municipality; the pair rule (one side theirs) is checked
            # in create() once the sides are known.
            return [IsAuthenticated(), permissions.IsCoordinatorOrStaff()]
        if self.action in ("update", "partial_update", "change_status"):
            # Coordinators, or staff of either side (object permission: other agreements are 403).
            return [IsAuthenticated(), permissions.CanEditAgreement()]
        if self.action == "destroy":
            # Coordinators only: staff terminate an agreement instead of deleting it.
            return [IsAuthenticated(), permissions.CanDeleteAgreement()]
        # Anything else (OPTIONS metadata): signed-in users.
        return [IsAuthenticated()]

    def unfiltered_recipe(self) -> QuerySet[TwinningAgreement] | None:
        # Only while the user may read every agreement (the register is public); otherwise the
        # general path applies the visibility filter.
        if access.visible_agreements(self.request.user):
            return None
        return _agreements_as_of(today(), *audit_params(self.request.query_params))

    def get_queryset(self) -> QuerySet[TwinningAgreement]:
        # vitality and in_name_only as of today: the audits' rule, computed in the same query, for
        # the home country, include_domestic and exclude_demo asked (see filters.AgreementFilter).
        queryset = _agreements_as_of(today(), *audit_params(self.request.query_params)).filter(
            access.visible_agreements(self.request.user)
        )
        if self.action == "list":
            # Lean rows: `.values()` joins both sides itself (see LeanListMixin).
            return queryset
        return queryset.with_sides().prefetch_related(
            Prefetch("status_changes", queryset=AgreementStatusChange.objects.chronological())
        )

    def get_serializer_class(self) -> type:
        if self.action == "list":
            return serializers.AgreementSerializer
        return serializers.AgreementDetailSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = serializers.AgreementCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        arguments = payload.service_arguments()
        if not access.can_record_agreement(request.user, arguments["a"], arguments["b"]):
            raise PermissionDenied(gettext("You may record agreements only for the municipalities you work for."))
        agreement = sign_agreement(by=request.user, **arguments)
        return self.detail_response(agreement, status_code=status.HTTP_201_CREATED)

    service_argument = "agreement"
    update_serializer_class = serializers.AgreementUpdateSerializer
    update_service = staticmethod(update_agreement)
    delete_service = staticmethod(delete_agreement)

    @extend_schema(
        summary="Suspend, terminate or reactivate an agreement",
        parameters=[IF_MATCH],
        request=serializers.ChangeStatusSerializer,
        responses={200: serializers.AgreementDetailSerializer},
    )
    @action(detail=True, methods=["post"], url_path="change-status")
    def change_status(self, request: Request, pk: str | None = None) -> Response:
        agreement = self.get_object()
        version = expected_version(request, agreement.version)
        payload = serializers.ChangeStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agreement = change_status(
            agreement=agreement, by=request.user, expected_version=version, **payload.validated_data
        )
        return self.detail_response(agreement)


# --- Activities ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Exchange activities", parameters=[exports.FORMAT_PARAMETER]),
    retrieve=extend_schema(summary="One activity"),
    create=extend_schema(
        summary="Log an activity under an agreement",
        request=serializers.ActivityCreateSerializer,
        responses={201: serializers.ActivitySerializer},
    ),
    partial_update=extend_schema(
        summary="Edit some fields of an activity", parameters=[IF_MATCH], request=serializers.ActivityUpdateSerializer
    ),
    destroy=extend_schema(summary="Delete an activity", parameters=[IF_MATCH]),
)
class ActivityViewSet(
    ETagRetrieveMixin,
    VersionedWritesMixin,
    RegistryViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = serializers.ActivitySerializer
    filterset_class = filters.ActivityFilter
    csv_filename = "activities"
    private_columns = ("logged_by",)

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "retrieve"):
            # Activities are public; who logged one is hidden row by row by the serializer.
            return [AllowAny()]
        if self.action == "create":
            # Coordinators, or staff of some municipality; the agreement rule is checked in create().
            return [IsAuthenticated(), permissions.IsCoordinatorOrStaff()]
        if self.action in ("update", "partial_update", "destroy"):
            # Coordinators, or staff of either side of the activity's agreement (object permission).
            return [IsAuthenticated(), permissions.CanEditActivity()]
        # Anything else (OPTIONS metadata): signed-in users.
        return [IsAuthenticated()]

    def get_queryset(self) -> QuerySet[ActivityLog]:
        # The agreement's two sides (for the internal-field rule) and who logged it, in the same query.
        return ActivityLog.objects.filter(access.visible_activities(self.request.user)).select_related(
            "agreement", "logged_by"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = serializers.ActivityCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agreement = payload.validated_data["agreement"]
        if not access.can_log_activity(request.user, agreement):
            raise PermissionDenied(
                gettext("You may log activities only under agreements of the municipalities you work for.")
            )
        activity = log_activity(by=request.user, **payload.validated_data)
        return self.detail_response(activity, status_code=status.HTTP_201_CREATED)

    service_argument = "activity"
    update_serializer_class = serializers.ActivityUpdateSerializer
    update_service = staticmethod(update_activity)
    delete_service = staticmethod(delete_activity)


# --- Network memberships -------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Network memberships", parameters=[exports.FORMAT_PARAMETER]),
    retrieve=extend_schema(summary="One membership"),
    create=extend_schema(
        summary="Join a municipality to a network (coordinators)",
        request=serializers.MembershipCreateSerializer,
        responses={201: serializers.MembershipSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit some fields of a membership (coordinators)",
        parameters=[IF_MATCH],
        request=serializers.MembershipUpdateSerializer,
    ),
    destroy=extend_schema(summary="Delete a membership recorded in error (coordinators)", parameters=[IF_MATCH]),
)
class MembershipViewSet(
    ETagRetrieveMixin,
    VersionedWritesMixin,
    RegistryViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilter
    csv_filename = "memberships"

    def get_permissions(self) -> list[BasePermission]:
        if self.action in ("list", "retrieve"):
            # Memberships are public.
            return [AllowAny()]
        # Every write (create, update, partial_update, destroy): coordinators only.
        return [IsAuthenticated(), permissions.CanEditMemberships()]

    def get_queryset(self) -> QuerySet[NetworkMembership]:
        return NetworkMembership.objects.select_related("network", "municipality")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = serializers.MembershipCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = join_network(by=request.user, **payload.validated_data)
        return self.detail_response(membership, status_code=status.HTTP_201_CREATED)

    service_argument = "membership"
    update_serializer_class = serializers.MembershipUpdateSerializer
    update_service = staticmethod(update_membership)
    delete_service = staticmethod(delete_membership)


# --- History (coordinators only; everyone else: 404) ---------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Who changed what, and when (coordinators)", parameters=[exports.FORMAT_PARAMETER]),
    retrieve=extend_schema(summary="One change record (coordinators)"),
)
class ChangeRecordViewSet(RegistryViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = serializers.ChangeRecordSerializer
    filterset_class = filters.ChangeRecordFilter
    # Not a coordinator: 404, as if the history did not exist.
    permission_classes = [permissions.CanReadHistoryOr404]
    csv_filename = "history"

    def get_queryset(self) -> QuerySet[ChangeRecord]:
        return ChangeRecord.objects.select_related("content_type", "changed_by").annotate(
            changed_by_username=F("changed_by__username")
        )


# --- Token ---------------------------------------------------------------------------------------


class TokenView(ObtainAuthToken):
    """POST username and password, get `{"token": ...}` for `Authorization: Token <token>`.

    After too many failed sign-ins for an account, or from one address, sign-ins are refused with
    429 for a while (the answer and its `Retry-After` say how long), even with the right password.
    """

    # Password guessing is limited twice: by the anonymous rate limit (per client address), and by
    # django-axes' lockout (per account and per address, shared with the admin's sign-in;
    # registry.security).
    # The credentials are in the body: a token or session sent along changes nothing (a guesser
    # holding someone's token is still anonymous here, and still counted as such).
    authentication_classes = ()
    throttle_classes = [AnonRateThrottle]
    # DRF's view names its own parsers; ours answer 400 for JSON nested too deeply (api.parsers).
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES
    # DRF's view answers JSON only (a browser's GET was a 406): the browsable API shows its form too.
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        summary="Get an API token",
        request=serializers.TokenRequestSerializer,
        responses={200: serializers.TokenResponseSerializer},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes refused or counted this attempt past the limit: it marks the request.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut() from None
            raise

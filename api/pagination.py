import hashlib
from functools import partial
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from registry.services.dates import today
from registry.services.figures import CountedPaginator, cached_figure


class RegistryPagination(PageNumberPagination):
    """Page-number pagination with a client-chosen, bounded page size.

    A `page_size` that is not a whole number from 1 is a 400 naming it (DRF would silently use the
    default); above `max_page_size` it is cut to it. A page that does not exist is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    django_paginator_class = CountedPaginator
    #: The number of rows when the view has it already (a report's cached figure): no COUNT query.
    known_count: int | None = None

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        """The public's lists (anonymous: the same rows for every such reader) take their count from a
        cached figure, keyed by the address and its filters: counting two million activities again
        for every page would cost more than the page."""
        countable = isinstance(queryset, QuerySet) or getattr(queryset, "counts_like_a_queryset", False)
        if self.known_count is None and not request.user.is_authenticated and countable:
            filters = sorted(
                (name, value)
                for name, values in request.query_params.lists()
                if name not in {self.page_query_param, self.page_size_query_param, "format"}
                for value in values
            )
            self.known_count = cached_figure(
                "api-count",
                as_of=today(),
                compute=queryset.count,
                path=request.path,
                filters=hashlib.sha256(repr(filters).encode()).hexdigest(),
            )
        if self.known_count is not None:
            self.django_paginator_class = partial(self.django_paginator_class, count=self.known_count)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int | None:
        text = request.query_params.get(self.page_size_query_param)
        if text and not (text.isascii() and text.isdigit() and int(text) >= 1):
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number of rows per page, 1 or more (at most %(max)d are given).")
                        % {"max": self.max_page_size}
                    ]
                }
            )
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows per page, from 1 (default {self.page_size}; above {self.max_page_size}: {self.max_page_size})."
                )
        return parameters

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


class RegistryPagination(PageNumberPagination):
    """Page-number pagination with a client-chosen, bounded page size.

    A `page_size` that is not a whole number from 1 is a 400 naming it (DRF would silently use the
    default); above `max_page_size` it is cut to it. A page that does not exist is a 404.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

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

"""The OpenAPI schema says what the API really answers: drf-spectacular's AutoSchema, corrected in one place.

- **Error answers.** Every operation lists the 4xx answers it can give, decided here from the view
  (authentication, permissions, throttles, If-Match, path and query parameters, body) rather than
  written on each view: see `RegistryAutoSchema.error_answers`.
- **Blank values.** A read-only field of a model field with `blank=True` may read `""` (an
  activity's `direction`, the first status change's `from_status`, a URL nobody gave): DRF drops
  `allow_blank` from read-only fields, so the schema would say it cannot happen.
- **Ordering.** The FilterSets' own `ordering` (a closed list, a 400 otherwise) is what the API
  applies; DRF's generic OrderingFilter would document it as free text.
- **Descriptions** come from the view's own docstring, not one inherited from a mixin.

`manage.py spectacular --validate --fail-on-warn` stays clean (tests/api/test_contract.py), and
schemathesis checks the answers against it (`make fuzz`, tests/api/test_fuzz.py).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from django.db import models
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticatedOrReadOnly

from . import permissions

#: Permissions under which a read is never refused with 403 (the history hides itself with 404).
READS_NEVER_FORBIDDEN = (AllowAny, IsAuthenticatedOrReadOnly, permissions.CanReadHistoryOr404)

ERROR_DETAIL = inline_serializer(
    name="ErrorDetail",
    fields={
        "detail": serializers.CharField(help_text="What went wrong, in the request's language."),
        "code": serializers.CharField(required=False, help_text="A stable code for programs (e.g. conflict)."),
    },
)

#: A 400 names the fields (or query parameters) that were refused: `{"field": ["message", …]}`; an
#: unreadable body or If-Match is `{"detail": "…"}`.
VALIDATION_ERRORS: dict[str, Any] = {
    "type": "object",
    "description": "Field or parameter name → the messages that say why it was refused; or `detail`.",
    "additionalProperties": {},
}


def _reason(code: int, text: str) -> str:
    return f"{HTTPStatus(code).phrase}: {text}"


class RegistryAutoSchema(AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        for parameter in operation.get("parameters", ()):
            # `?tier=` (repeatable) is refused; `?country=`, `?ordering=` count as not given.
            optional = parameter["in"] == "query" and not parameter.get("required")
            if optional and parameter.get("explode") is not True:
                parameter["schema"] = _blank_means_absent(parameter["schema"])
        responses = operation["responses"]
        for code, description in self.error_answers(operation).items():
            if str(code) in responses:
                continue
            body = VALIDATION_ERRORS if code == HTTPStatus.BAD_REQUEST else ERROR_DETAIL
            answer = self._get_response_for_code(body, str(code))
            answer["description"] = _reason(code, description)
            if code == HTTPStatus.TOO_MANY_REQUESTS:
                answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
            responses[str(code)] = answer
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def error_answers(self, operation: dict[str, Any]) -> dict[int, str]:
        """The 4xx answers this operation can give, each with the reason (in the order of the codes)."""
        view, method = self.view, self.method
        parameters = {parameter["name"] for parameter in operation.get("parameters", ())}
        writes = method not in SAFE_METHODS
        view_permissions = view.get_permissions()
        answers: dict[int, str] = {}
        if "requestBody" in operation or parameters - {"id", "format", "page"}:
            answers[400] = "a field or query parameter was refused (each is named, with the reason)."
        if view.get_authenticators():
            answers[401] = "the credentials sent (token or session) are not valid, or this needs a sign-in."
        if writes or not all(isinstance(permission, READS_NEVER_FORBIDDEN) for permission in view_permissions):
            answers[403] = "your role may not do this (or a signed-in session sent no CSRF token)."
        if any(isinstance(permission, permissions.CanReadHistoryOr404) for permission in view_permissions):
            answers[404] = "coordinators only: for other signed-in users the history does not exist."
        elif "id" in parameters or "format" in parameters or self._is_list_view():
            answers[404] = "no such record visible to you, no such page, or an unknown `format`."
        if writes and hasattr(view, "get_queryset"):
            answers[409] = "the change conflicts with existing data (e.g. the same record twice)."
        if "If-Match" in parameters:
            answers[400] = "a field was refused, or If-Match is not an ETag this API gave out."
            answers[412] = "If-Match names an older version: someone changed the record since you read it."
            answers[428] = "no If-Match header: send the ETag of the version you edited."
        if view.get_throttles():
            answers[429] = "too many requests; wait the seconds Retry-After gives."
        return dict(sorted(answers.items()))

    def get_description(self) -> str:
        """The action's docstring, else the view class's own (never one inherited from a mixin)."""
        action = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        own = type(self.view).__dict__.get("__doc__")
        action_doc = getattr(action, "__doc__", None) if action is not None else None
        if action_doc and getattr(action, "__qualname__", "").split(".")[0] == type(self.view).__name__:
            return action_doc.strip()
        return (own or "").strip()

    def _get_filter_parameters(self) -> list[dict[str, Any]]:
        filterset = getattr(self.view, "filterset_class", None)
        if filterset is not None and "ordering" in filterset.base_filters:
            # The FilterSet's `ordering` (closed list, 400 otherwise) is the one that decides.
            backends = [backend for backend in self.get_filter_backends() if not issubclass(backend, OrderingFilter)]
            original = self.get_filter_backends
            self.get_filter_backends = lambda: backends  # type: ignore[method-assign]
            try:
                return super()._get_filter_parameters()
            finally:
                self.get_filter_backends = original  # type: ignore[method-assign]
        return super()._get_filter_parameters()

    def _map_serializer_field(self, field: serializers.Field, direction: str, bypass_extensions: bool = False) -> Any:
        if field.read_only and hasattr(field, "allow_blank") and not field.allow_blank and _model_field_is_blank(field):
            field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _blank_means_absent(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter given blank (`?country=`, as an HTML form sends it) counts as not
    given: filters, report parameters, `page` and `format` alike. (A repeatable one, `?tier=a&tier=b`,
    refuses a blank value: the caller skips those.) In a comma-separated one (`ordering=a,,b`) an
    empty term is skipped."""
    if schema.get("type") == "array":
        items = schema.get("items", {})
        if "enum" in items and "" not in items["enum"]:
            items["enum"] = [*items["enum"], ""]
        return schema
    if "enum" in schema:
        if "" not in schema["enum"]:
            schema["enum"] = [*schema["enum"], ""]
        schema.pop("minLength", None)
        return schema
    if "pattern" in schema and "minLength" not in schema and re.search(schema["pattern"], ""):
        return schema  # its pattern already takes blank
    if "$ref" in schema or "allOf" in schema or "oneOf" in schema:
        return {"anyOf": [schema, BLANK]}
    if schema.get("type") == "string" and not ({"format", "pattern", "minLength"} & set(schema)):
        return schema  # any text, blank included
    return {"anyOf": [schema, BLANK]}


BLANK = {"type": "string", "maxLength": 0}


def _model_field_is_blank(field: serializers.Field) -> bool:
    """Whether a ModelSerializer's field reads a model text field that may be blank (`""`)."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source or field.source == "*":
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except Exception:  # not a model field (an annotation, a property)
        return False
    return isinstance(model_field, models.CharField | models.TextField) and model_field.blank


def untagged_unions_are_any_of(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: a union without a discriminator is `anyOf`, not `oneOf`.

    The gaps report answers one of three shapes; an empty page (`{"count": 0, "results": []}`) fits
    two of them, which `oneOf` (exactly one) would call invalid.
    """
    for component in result.get("components", {}).get("schemas", {}).values():
        if "oneOf" in component and "discriminator" not in component:
            component["anyOf"] = component.pop("oneOf")
    return result


class FilterHelpTextExtension(DjangoFilterExtension):
    """django-filter's parameters with their help texts, also where a filter class gives its own schema
    (StrictBooleanFilter, IdFilter…): drf-spectacular drops the description of an overridden schema."""

    priority = 1  # before drf-spectacular's own DjangoFilterExtension

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):  # type: ignore[no-untyped-def]
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters

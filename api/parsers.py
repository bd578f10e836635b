"""Request parsers: DRF's, with the failures they let through turned into 400s."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class RegistryJSONParser(JSONParser):
    """JSONParser that answers 400 for JSON nested deeper than Python's decoder goes.

    json.loads raises RecursionError (not the ValueError DRF catches) for arrays or objects nested
    about a thousand levels deep: that was a 500 on every write.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(gettext("JSON parse error - the document is nested too deeply.")) from None

"""Errors services raise besides django.core.exceptions.ValidationError."""

from django.utils.translation import gettext


class StaleVersion(Exception):
    """The object changed since the client read it (If-Match / version mismatch): HTTP 412."""

    def __init__(self, *, current: int, expected: int) -> None:
        super().__init__(
            gettext(
                "This record changed since you read it (your version %(expected)s, now %(current)s). "
                "Reload it and apply your change again."
            )
            % {"expected": expected, "current": current}
        )
        self.current = current
        self.expected = expected

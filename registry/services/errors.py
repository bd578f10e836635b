"""Errors services raise besides django.core.exceptions.ValidationError."""


class StaleVersion(Exception):
    """The object changed since the client read it (If-Match / version mismatch): HTTP 412."""

    def __init__(self, *, current: int, expected: int) -> None:
        super().__init__(
            f"This record changed since you read it (your version {expected}, now {current}). "
            "Reload it and apply your change again."
        )
        self.current = current
        self.expected = expected

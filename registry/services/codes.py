"""Japan's local government codes (全国地方公共団体コード)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS = (6, 5, 4, 3, 2)


def lg_check_digit(first_five: str) -> int:
    """The modulus-11 check digit of a code's first five digits.

    Each digit is weighted 6, 5, 4, 3, 2; the check digit is the last digit of 11 minus the sum's
    remainder by 11 (so a remainder of 0 gives 1, a remainder of 1 gives 0).
    """
    total = sum(int(digit) * weight for digit, weight in zip(first_five, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def validate_lg_code(code: str, *, field: str = "lg_code") -> str:
    """Return the code if it is six digits with a correct check digit; else a ValidationError."""
    code = (code or "").strip()
    if len(code) != 6 or not code.isdigit():
        raise ValidationError(
            {field: _("A local government code has six digits, e.g. 422011 (got “%(code)s”).") % {"code": code}}
        )
    expected = lg_check_digit(code[:5])
    if int(code[5]) != expected:
        raise ValidationError(
            {
                field: _("The check digit of “%(code)s” is wrong: it should end in %(digit)s.")
                % {"code": code, "digit": expected}
            }
        )
    return code


def prefecture_code_of(code: str) -> str:
    """The prefecture's own code for any code of that prefecture (e.g. 422011 → 420000 + check)."""
    first_five = code[:2] + "000"
    return first_five + str(lg_check_digit(first_five))

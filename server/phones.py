"""Israeli-first phone handling with the phonenumbers library.

`050-123-4567`, `0501234567`, `+972 50 123 4567` and `whatsapp:+972501234567` are the
same customer: all normalise to the E.164 form `+972501234567`.
"""
from __future__ import annotations

import re

import phonenumbers

from server.error_codes import ErrorCode
from server.errors import FieldError

DEFAULT_REGION = "IL"


class InvalidPhone(ValueError):
    pass


# Israeli numbers of the right shape are accepted even when phonenumbers' metadata does not
# list their block as assigned: the seed's own example, 050-123-4567, is such a number, new
# mobile blocks are opened every year, and numbers move between carriers. Mobile (05x, 07x
# VoIP) are nine national digits, landlines (02/03/04/08/09) eight.
_ISRAELI_SHAPE = re.compile(r"(?:5\d|7\d)\d{7}|[2-489]\d{7}")


def _acceptable(number: phonenumbers.PhoneNumber) -> bool:
    if phonenumbers.is_valid_number(number):
        return True
    return number.country_code == 972 and bool(_ISRAELI_SHAPE.fullmatch(str(number.national_number)))


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str:
    """E.164 for a valid number; raises InvalidPhone with a reason a person can act on."""
    if raw is None or not str(raw).strip():
        raise InvalidPhone(FieldError(ErrorCode.PHONE_REQUIRED, "phone required"))
    text = str(raw).strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(FieldError(ErrorCode.INVALID_PHONE, "invalid phone number")) from exc
    if not _acceptable(number):
        raise InvalidPhone(FieldError(ErrorCode.INVALID_PHONE, "invalid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    try:
        return normalize_phone(raw, region)
    except InvalidPhone:
        return None


def phone_search_tokens(e164: str | None) -> list[str]:
    """Digit strings a stored phone is searchable by: international and national forms."""
    if not e164:
        return []
    digits = e164.lstrip("+")
    tokens = [digits]
    try:
        number = phonenumbers.parse(e164, None)
        national = str(number.national_number)
        if number.country_code == 972:
            tokens.append("0" + national)
        else:
            tokens.append(national)
    except phonenumbers.NumberParseException:
        pass
    return tokens


def query_digits(query: str) -> str | None:
    """The digits a phone-like search query means, in the form the search column holds.

    `+972 50 123 4567` → `972501234567`; `050-123-4567` → `0501234567`; partial `050-12`
    → `05012`. None when the query is not phone-like.
    """
    stripped = query.strip()
    if not re.fullmatch(r"\+?[\d\s\-().]{3,}", stripped):
        return None
    return re.sub(r"\D", "", stripped)


def display_phone(e164: str | None) -> str | None:
    """Israeli national format for people: 050-123-4567."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 972:
        national = "0" + str(number.national_number)
        if len(national) == 10:
            return f"{national[:3]}-{national[3:6]}-{national[6:]}"
        return f"{national[:2]}-{national[2:5]}-{national[5:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

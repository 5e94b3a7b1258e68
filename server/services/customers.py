"""Customers: the CRM's people. Keeps the normalised search column in step with the row."""
from __future__ import annotations

from server.hebrew import normalize_for_search
from server.phones import phone_search_tokens


def build_search_text(name: str | None, phone: str | None, email: str | None) -> str:
    """Name without niqqud, phone digits in local and international form, email lower-case."""
    parts = [normalize_for_search(name or "")]
    parts += phone_search_tokens(phone)
    if email:
        parts.append(email.strip().lower())
    return " ".join(p for p in parts if p)

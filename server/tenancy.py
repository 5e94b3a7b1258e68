"""Which businesses a service call may read or change: one business id, or every business.

"Every business" is a value of its own, ALL_BUSINESSES, which only a platform admin's
request is given (authz.scoped_business_id). It used to be None, and a forgotten argument
then silently meant "no filter": a cross-tenant leak that looks like a default. Now None
is refused loudly wherever a scope is applied.
"""
from __future__ import annotations

from typing import Final, Union

from sqlalchemy import true


class AllBusinesses:
    """The platform admin's scope. A singleton, compared with `is`."""

    _instance: AllBusinesses | None = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL_BUSINESSES"

    def __bool__(self) -> bool:
        # `if scope:` must never be how a caller tells one business from all of them.
        raise TypeError("test a business scope with `is ALL_BUSINESSES`, not its truth value")


ALL_BUSINESSES: Final = AllBusinesses()
BusinessScope = Union[int, AllBusinesses]


def checked(scope: BusinessScope) -> BusinessScope:
    """The scope itself, or TypeError for anything that is not a business id or ALL_BUSINESSES."""
    if scope is ALL_BUSINESSES or (isinstance(scope, int) and not isinstance(scope, bool)):
        return scope
    raise TypeError(f"a business scope is a business id or ALL_BUSINESSES, not {scope!r}")


def is_all(scope: BusinessScope) -> bool:
    return checked(scope) is ALL_BUSINESSES


def scope_filter(column, scope: BusinessScope):
    """The WHERE clause that keeps a query inside the scope."""
    return true() if is_all(scope) else column == scope


def in_scope(scope: BusinessScope, business_id: int | None) -> bool:
    """Whether a row of `business_id` may be touched under `scope`."""
    return is_all(scope) or business_id == scope

"""Customers: the search column, the paged list and its search.

Listing stays fast at a million customers per business (see docs in README, "CRM"):
- the unfiltered `total` is read from `customer_day_count`, a per-business, per-day count
  that database triggers maintain (migration 0002), not from count(*);
- a deep page seeks: the day counts locate the day that holds row N, and the page is read
  from the (business_id, created_at, id) index starting at that day, so the database skips
  at most one day's rows instead of N;
- a search matches the normalised `search_text` through pg_trgm (PostgreSQL) or an FTS5
  trigram table (SQLite), and counts at most SEARCH_COUNT_CAP matches: beyond that the
  total is the cap and the answer says so (header X-Total-Exact: false).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from sqlalchemy import and_, func, literal_column, or_, select, text

from server.extensions import db
from server.hebrew import normalize_for_search
from server.models import Customer
from server.phones import phone_search_tokens, query_digits
from server.tenancy import BusinessScope, is_all, scope_filter


def build_search_text(name: str | None, phone: str | None, email: str | None) -> str:
    """Name without niqqud, phone digits in local and international form, email lower-case."""
    parts = [normalize_for_search(name or "")]
    parts += phone_search_tokens(phone)
    if email:
        parts.append(email.strip().lower())
    return " ".join(p for p in parts if p)


DEFAULT_LIMIT = 25
MAX_LIMIT = 100
# 2,000 matches is more than anyone pages through, and it bounds the deepest search page:
# at a million customers even a common surname's last page answers in tens of milliseconds.
SEARCH_COUNT_CAP = 2_000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_OFFSET = 2 ** 53


@dataclass
class CustomerPage:
    page: int
    limit: int
    total: int
    items: list = field(default_factory=list)
    total_exact: bool = True

    def to_dict(self) -> dict:
        return {"page": self.page, "limit": self.limit, "total": self.total,
                "items": [c.to_dict() for c in self.items]}


def search_terms(q: str | None) -> list[str]:
    """What the user typed, in the form `search_text` holds.

    A phone-like query becomes its digits (`050-123-4567` → `0501234567`,
    `+972 50 123 4567` → `972501234567`); anything else is lower-cased, niqqud-free words.
    """
    q = (q or "").strip()[:200]
    if not q:
        return []
    digits = query_digits(q)
    if digits:
        return [digits]
    return normalize_for_search(q).split()[:8]


def _like_escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _search_filter(terms: list[str]):
    """A WHERE clause matching every term as a substring of search_text, index-backed."""
    clauses = []
    if db.engine.dialect.name == "sqlite":
        long_terms = [t for t in terms if len(t) >= 3]  # the trigram index needs 3 characters
        if long_terms:
            match = " AND ".join(_fts_phrase(t) for t in long_terms)
            clauses.append(Customer.id.in_(
                select(literal_column("rowid")).select_from(text("customer_fts"))
                .where(text("customer_fts MATCH :fts_match").bindparams(fts_match=match))))
        terms = [t for t in terms if len(t) < 3]
    for term in terms:  # PostgreSQL: pg_trgm's GIN index serves LIKE '%…%'
        clauses.append(Customer.search_text.like(f"%{_like_escape(term)}%", escape="\\"))
    return and_(*clauses)


def _scope(query, business_id: BusinessScope, terms: list[str]):
    query = query.where(scope_filter(Customer.business_id, business_id))
    if terms:
        query = query.where(_search_filter(terms))
    return query


def _day_counts_total(business_id: BusinessScope) -> int:
    sql = "SELECT coalesce(sum(n), 0) FROM customer_day_count"
    if not is_all(business_id):
        return int(db.session.execute(text(sql + " WHERE business_id = :b"), {"b": business_id}).scalar())
    return int(db.session.execute(text(sql)).scalar())


_FIND_DAY = text("""
    SELECT day, before FROM (
        SELECT day, n, coalesce(sum(n) OVER (ORDER BY day DESC ROWS BETWEEN UNBOUNDED PRECEDING
                                                             AND 1 PRECEDING), 0) AS before
        FROM customer_day_count WHERE business_id = :b AND n > 0
    ) AS days WHERE before + n > :offset ORDER BY day DESC LIMIT 1
""")


def _seek_page(business_id: int, offset: int, limit: int) -> list[Customer]:
    """Rows offset..offset+limit of the business, newest first, without scanning `offset` rows.

    The day counts say which day holds row `offset` and how many newer rows come before
    that day; the index range then starts at the end of that day.
    """
    found = db.session.execute(_FIND_DAY, {"b": business_id, "offset": offset}).first()
    if found is None:
        return []
    day, before = int(found[0]), int(found[1])
    day_end = _EPOCH + timedelta(days=day + 1)
    query = (select(Customer).where(Customer.business_id == business_id, Customer.created_at < day_end)
             .order_by(Customer.created_at.desc(), Customer.id.desc()).offset(offset - before).limit(limit))
    return list(db.session.scalars(query))


# Relative costs on SQLite, measured with bench/crm_customers.py: reading one entry of the
# covering (business_id, created_at, id) index costs about a ninth of fetching a customer row
# by id to learn its created_at.
_WALK_ENTRY_VS_ROW_FETCH = 1 / 9


def _walk_dates_for_common_terms(business_id: int, terms: list[str], offset: int, limit: int) -> list[int] | None:
    """SQLite, a term so common its count was capped: the page's ids, or None for the default plan.

    SQLite's default plan fetches every matching row (tens of thousands for a common surname)
    to sort them by date. Walking the business's date index newest first and probing the FTS
    match set instead stops after about (offset + limit) / share-of-matches entries, which is
    far fewer for a common term on the first pages. The share comes from FTS5's own count
    (every business's rows: an estimate that only errs towards walking a little longer).
    """
    long_terms = [t for t in terms if len(t) >= 3]
    if not long_terms:
        return None
    match = " AND ".join(_fts_phrase(t) for t in long_terms)
    matches = db.session.execute(text("SELECT count(*) FROM customer_fts WHERE customer_fts MATCH :m"),
                                 {"m": match}).scalar() or 0
    business_rows = _day_counts_total(business_id)
    if not matches or not business_rows:
        return None
    walk_cost = (offset + limit) * business_rows / matches * _WALK_ENTRY_VS_ROW_FETCH
    if walk_cost > min(matches, business_rows):
        return None
    params: dict[str, Any] = {"b": business_id, "m": match, "limit": limit, "offset": offset}
    short_clauses = []
    for index, term in enumerate(t for t in terms if len(t) < 3):
        params[f"s{index}"] = f"%{_like_escape(term)}%"
        short_clauses.append(f" AND search_text LIKE :s{index} ESCAPE '\\'")
    # INDEXED BY: the planner would otherwise start from the FTS rowids and sort them.
    sql = ("SELECT id FROM customer INDEXED BY ix_customer_business_created WHERE business_id = :b "
           "AND id IN (SELECT rowid FROM customer_fts WHERE customer_fts MATCH :m)" + "".join(short_clauses) +
           " ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset")
    return [row[0] for row in db.session.execute(text(sql), params)]


def list_customers(business_id: BusinessScope, page: int, limit: int, q: str | None = None,
                   count_cap: int = SEARCH_COUNT_CAP) -> CustomerPage:
    """One page of customers, newest first (of every business under ALL_BUSINESSES)."""
    terms = search_terms(q)
    offset = (page - 1) * limit
    result = CustomerPage(page=page, limit=limit, total=0)
    if terms:
        bounded = _scope(select(literal_column("1")), business_id, terms).limit(count_cap + 1).subquery()
        total = int(db.session.scalar(select(func.count()).select_from(bounded)))
        result.total_exact = total <= count_cap
        result.total = min(total, count_cap)
        # Past the count's cap there are no pages: total says 2,000 and a page beyond it is
        # empty, as with an exact total (a search that broad is refined, not paged through).
        if offset >= result.total:
            return result
    else:
        result.total = _day_counts_total(business_id)
        if offset >= result.total:
            return result
    if offset > _MAX_OFFSET:
        return result
    if not terms and not is_all(business_id) and offset > 0:
        result.items = _seek_page(business_id, offset, limit)
        return result
    if terms and not result.total_exact and not is_all(business_id) and db.engine.dialect.name == "sqlite":
        ids = _walk_dates_for_common_terms(business_id, terms, offset, limit)
        if ids is not None:
            by_id = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)))}
            result.items = [by_id[i] for i in ids if i in by_id]
            return result
    query = (_scope(select(Customer), business_id, terms)
             .order_by(Customer.created_at.desc(), Customer.id.desc()).offset(offset).limit(limit))
    result.items = list(db.session.scalars(query))
    return result


def iter_customer_rows(business_id: BusinessScope, q: str | None = None, batch: int = 1000) -> Iterator[Any]:
    """Every match as plain rows, newest first, read in keyset batches (constant memory)."""
    terms = search_terms(q)
    columns = (Customer.id, Customer.name, Customer.phone, Customer.email, Customer.notes, Customer.source,
               Customer.created_at)
    last: tuple | None = None
    while True:
        query = _scope(select(*columns), business_id, terms)
        if last is not None:
            query = query.where(or_(Customer.created_at < last[0],
                                    and_(Customer.created_at == last[0], Customer.id < last[1])))
        rows = db.session.execute(query.order_by(Customer.created_at.desc(), Customer.id.desc()).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        last = (rows[-1].created_at, rows[-1].id)

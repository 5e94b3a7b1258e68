"""Rate limits that hold under concurrency, and count only the responses that should count.

Flask-Limiter's `deduct_when` tests a limit before the view and counts the request only
after the response: thirty wrong passwords sent at once all pass the test before the first
one is counted, so all thirty are tried (issue 16, item 6). Here a limit without
deduct_when reserves its slot before the view with the storage's atomic increment-and-check
(Redis: one Lua INCR+EXPIRE; memory: a per-key lock), so at most LIMIT requests of a window
ever reach the view; `refund_when` then gives the slot back for a response that should
not count (a successful login).

The counters live where RATELIMIT_STORAGE_URI says: Redis shared by every process, or this
process's memory, which is enough because without Redis there is one web process (see
deploy/stack.py). Redis down: Flask-Limiter moves the counters to memory, and so do refunds.
"""
from __future__ import annotations

import logging
from functools import wraps

from flask import after_this_request
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter

from server.extensions import limiter

log = logging.getLogger(__name__)

# Decrement a counter that still exists and is positive: a refund after the window ended
# must not leave a negative count (an extra free try) behind.
_REDIS_REFUND = """
local current = tonumber(redis.call('get', KEYS[1]) or '0')
if current > 0 then return redis.call('decr', KEYS[1]) end
return 0
"""


def refund_when(should_refund):
    """Give back this request's reserved rate-limit slots when should_refund(response).

    Put it under the route's @limiter.limit decorators. It sees the final response, also
    one that an error handler made from an exception the view raised.
    """
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            reserved = [limit for limit in limiter.current_limits if not limit.breached]

            @after_this_request
            def _refund(response):
                if reserved and should_refund(response):
                    for request_limit in reserved:
                        _give_back(request_limit)
                return response
            return view(*args, **kwargs)
        return wrapper
    return decorator


def _give_back(request_limit) -> None:
    """One slot back to request_limit's counter; best effort, never fails the request."""
    strategy = limiter.limiter  # the in-memory fallback while Redis is down, like the hit was
    try:
        if not isinstance(strategy, FixedWindowRateLimiter):
            # Other strategies keep no single counter to decrement: the slot stays used,
            # which errs on the side of the limit.
            log.warning("rate limit refund skipped: strategy %s has no counter", type(strategy).__name__)
            return
        storage = strategy.storage
        if isinstance(storage, MemoryStorage):
            storage.decr(request_limit.key)
        elif isinstance(storage, RedisStorage):
            storage.get_connection().eval(_REDIS_REFUND, 1, storage.prefixed_key(request_limit.key))
        else:
            log.warning("rate limit refund skipped: storage %s not supported", type(storage).__name__)
    except Exception as exc:  # noqa: BLE001 — a login must not fail because Redis hiccuped
        log.warning("rate limit refund failed: %s", exc.__class__.__name__)

"""Figures every bench prints: nearest-rank percentiles and a warmed-up timing loop."""
from __future__ import annotations

import statistics
import time


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn, runs):
    """(p50, p95) in milliseconds of `runs` calls of fn, after one warm-up call."""
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)

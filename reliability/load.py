"""A bounded loopback load test: a fixed number of requests, a fixed concurrency and a
time cap; every answer that is not the expected status is an error."""
from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests


@dataclass
class LoadReport:
    label: str
    sent: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    capped: bool = False
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def figures(self) -> str:
        rate = self.sent / self.seconds if self.seconds else 0
        return (f"{self.sent} req, {self.errors} err, p50 {self.percentile(50):.1f} ms, "
                f"p95 {self.percentile(95):.1f} ms, {rate:.0f} req/s")


def run_load(label: str, make_request, count: int, concurrency: int, time_cap: float,
             expect=(200,)) -> LoadReport:
    """make_request(i, http_session) -> requests.Response. Stops at `count` or `time_cap`."""
    report = LoadReport(label)
    lock = threading.Lock()
    local = threading.local()
    start = time.monotonic()
    deadline = start + time_cap

    def one(i: int) -> None:
        if time.monotonic() > deadline:
            report.capped = True
            return
        if not hasattr(local, "http"):
            local.http = requests.Session()
        t0 = time.perf_counter()
        try:
            response = make_request(i, local.http)
            ok, detail = response.status_code in expect, f"{response.status_code} {response.text[:120]}"
        except requests.RequestException as exc:
            ok, detail = False, exc.__class__.__name__
        elapsed = (time.perf_counter() - t0) * 1000
        with lock:
            report.sent += 1
            report.latencies_ms.append(elapsed)
            if not ok:
                report.errors += 1
                if len(report.error_samples) < 3:
                    report.error_samples.append(detail)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    report.seconds = time.monotonic() - start
    return report


__all__ = ["run_load", "LoadReport", "statistics"]

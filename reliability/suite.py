"""`make reliability`: the production stack on loopback under load, faults and bad input.
Prints one summary table; exits 1 when any check fails."""
from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback

from reliability import checks, hostile_ssrf
from reliability.harness import Result, build, teardown

ORDER = [
    ("scale-out", checks.check_scaleout),
    ("load", checks.check_load),
    ("webhook fuzz", checks.check_webhook_fuzz),
    ("Redis down", checks.check_redis_down),
    ("PostgreSQL restart", checks.check_pg_restart),
    ("worker kill", checks.check_worker_kill),
    ("read-only storage", checks.check_readonly_storage),
    ("hostile SSRF", hostile_ssrf.check_ssrf),
    # Late: the probe's writes (as A's admin) and schemathesis' may change A's own data.
    ("isolation", checks.check_isolation),
    ("schemathesis", checks.check_schemathesis),
    ("proxy trust", checks.check_proxy_trust),  # last: it uses up the per-IP login limit
]


def format_table(rows: list[Result]) -> str:
    headers = ("check", "result", "figures", "note")
    data = [(r.name, r.status, r.figures, r.note) for r in rows]
    widths = [min(70, max(len(h), *(len(d[i]) for d in data))) for i, h in enumerate(headers[:3])]
    lines = ["  ".join(h.ljust(widths[i]) if i < 3 else h for i, h in enumerate(headers)),
             "  ".join("-" * w for w in widths) + "  ----"]
    for d in data:
        lines.append("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(d)).rstrip())
    return "\n".join(lines)


def apply_strict(rows: list[Result]) -> list[Result]:
    """--strict (CI): a check that could not run is a failure, not a pass by omission."""
    return [Result(r.name, "FAIL", r.figures, f"not run (strict): {r.note}") if r.status == "not run" else r
            for r in rows]


def exit_code(rows: list[Result]) -> int:
    return 1 if any(r.status == "FAIL" for r in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability")
    parser.add_argument("--only", help="comma-separated check names to run (see ORDER)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, reports)")
    parser.add_argument("--strict", action="store_true",
                        help="a 'not run' row is a failure (CI: every check must really run)")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    started = time.monotonic()
    rows: list[Result] = []
    harness = None
    try:
        t0 = time.monotonic()
        harness = build()
        print(f"stack up in {time.monotonic() - t0:.1f} s: nginx {harness.base} → gunicorn "
              f"{harness.stack.config.web_ports} + worker; PostgreSQL :{harness.pg.port}, Redis :{harness.redis.port}",
              flush=True)
        for name, check in ORDER:
            if only and name not in only:
                continue
            t0 = time.monotonic()
            try:
                produced = check(harness)
            except Exception as exc:  # noqa: BLE001 — a crashed check is a failed check
                traceback.print_exc()
                produced = [Result(name, "FAIL", "", f"crashed: {exc.__class__.__name__}: {exc}"[:200])]
            for row in produced:
                print(f"[{time.monotonic() - started:5.0f}s] {row.status:7} {row.name}: {row.figures} {row.note}",
                      flush=True)
            rows.extend(produced)
    except Exception as exc:  # noqa: BLE001
        traceback.print_exc()
        rows.append(Result("setup", "FAIL", "", f"{exc.__class__.__name__}: {exc}"[:300]))
        if harness is None:
            pass
    finally:
        if harness is not None:
            if any(r.status == "FAIL" for r in rows):
                for name in ("worker", "nginx-error", *(f"web-{p}" for p in harness.stack.config.web_ports)):
                    path = harness.stack.run_dir / f"{name}.log"
                    if path.exists():
                        print(f"--- tail of {path.name} ---\n" + path.read_text(errors="replace")[-1500:])
            teardown(harness)
            if not args.keep:
                shutil.rmtree(harness.base_dir, ignore_errors=True)
            else:
                print(f"kept {harness.base_dir}")
    if args.strict:
        rows = apply_strict(rows)
    print("\n=== reliability summary ===")
    print(format_table(rows))
    failed = sum(r.status == "FAIL" for r in rows)
    passed = sum(r.status == "pass" for r in rows)
    not_run = sum(r.status == "not run" for r in rows)
    print(f"\n{time.monotonic() - started:.0f} s; 'not run' rows need a feature that is not on this build"
          + (" (--strict: counted as failures)" if args.strict else ""))
    print(f"reliability: {passed} passed, {failed} failed, {not_run} skipped")
    return exit_code(rows)


if __name__ == "__main__":
    sys.exit(main())

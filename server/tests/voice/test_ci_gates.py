"""The tests of the real offline engines skip on a machine without espeak-ng/ffmpeg, but
fail when CI is set: CI installs the engines, so a skip there would hide a broken install."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENGINE_TESTS = [
    "server/tests/voice/test_offline_chain.py::test_caller_asks_for_opening_hours_and_hears_them_from_the_business_settings",
    "server/tests/voice/test_media.py::test_cli_regenerates_the_welcome_file",
]


def _run_without_engines(tmp_path, ci: bool) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "TEST_DATABASE_URL", "HUEY_SQLITE_PATH", "PYTEST_ADDOPTS")}
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir(exist_ok=True)
    env["PATH"] = str(empty_bin)  # neither espeak-ng nor ffmpeg can be found
    if ci:
        env["CI"] = "1"
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=no", *ENGINE_TESTS],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    return result.stdout.strip().splitlines()[-1]  # pytest's summary: "2 failed in 3.1s"


def test_engine_tests_skip_on_a_machine_without_the_engines(tmp_path):
    assert _run_without_engines(tmp_path, ci=False).startswith("2 skipped in")


def test_engine_tests_fail_in_ci_when_the_engines_are_missing(tmp_path):
    assert _run_without_engines(tmp_path, ci=True).startswith("2 failed in")

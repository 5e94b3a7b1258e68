# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

.PHONY: run test install test-python clean prod nginx sysdeps reliability

run: install web
	./scripts/run-dev.sh

test: install test-python test-web

# node_modules first: a Python test regenerates the SPA's API types and compares them.
test-python: $(NPM_STAMP)
	$(PY) -m pytest

# Production mode on this machine: nginx (loopback) → gunicorn web process(es) + job worker,
# after `flask db upgrade heads`. Settings come from the environment / .env (see deploy/README.md).
prod: install nginx web
	$(PY) -m deploy.stack run

# The reliability suite: the production stack on loopback (private PostgreSQL and Redis)
# under load, faults, schemathesis, webhook fuzzing and a cross-business probe (~3-6 min).
# --strict: a check that cannot run (a missing tool or feature) fails the target.
REL_STAMP := $(VENV)/.reliability-installed
reliability: install nginx $(REL_STAMP)
	$(PY) -m reliability --strict

$(REL_STAMP): reliability/requirements.txt $(STAMP)
	$(PY) -m pip install -q -r reliability/requirements.txt
	touch $(REL_STAMP)

# $(call apt_ensure,binary,package): a Debian package, installed once (as root) when its
# binary is missing; anyone else is told the command and the target fails.
apt_ensure = command -v $(1) >/dev/null 2>&1 || test -x /usr/sbin/$(1) || { \
	  if [ "$$(id -u)" = 0 ]; then echo "installing $(2)"; apt-get update -qq -o DPkg::Lock::Timeout=300 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 $(2) >/dev/null; \
	  else echo "$(1) is missing: sudo apt-get install $(2)"; exit 1; fi; }

.PHONY: nginx chromium
nginx:
	@$(call apt_ensure,nginx,nginx)

# The browser the end-to-end tests drive (playwright.config.ts: /usr/bin/chromium).
chromium:
	@$(call apt_ensure,chromium,chromium)

install: sysdeps $(STAMP)

# System packages the offline voice agent needs: espeak-ng (Hebrew speech) and ffmpeg
# (MP3 for Twilio). Fast when present; installs with apt as root (CI); else says what to do.
SYSDEPS_BINS := espeak-ng ffmpeg
SYSDEPS_APT := espeak-ng ffmpeg
sysdeps:
	@missing=""; for b in $(SYSDEPS_BINS); do command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq -o DPkg::Lock::Timeout=300 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $(SYSDEPS_APT) >/dev/null; \
	  else \
	    echo "NOTE: missing$$missing — run: sudo apt-get install $(SYSDEPS_APT) (the offline voice agent and its tests need them)"; \
	  fi; \
	fi

$(STAMP): server/requirements.txt server/requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -r server/requirements-dev.txt
	touch $(STAMP)

# ---- web app (React + Vite SPA in src/, built into dist/ and served by Flask) ----------
# Browsers are never downloaded: the end-to-end tests drive Debian's /usr/bin/chromium.
.PHONY: web test-web test-js test-e2e
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
WEB_SOURCES := $(shell find src -type f 2>/dev/null) index.html vite.config.js tsconfig.json package.json

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# Rebuilt only when dist/ is missing or older than the sources.
dist/index.html: $(NPM_STAMP) $(WEB_SOURCES)
	npm run build
	node scripts/bundle-size.mjs

web: dist/index.html

# The browser tests run once per CI run: on the SQLite lane (TEST_DATABASE_URL unset).
# The PostgreSQL lane re-runs the Python suite, which covers every query the pages make;
# E2E=1 forces them anyway.
test-web: test-js $(if $(or $(E2E),$(if $(TEST_DATABASE_URL),,1)),test-e2e)
	@$(if $(or $(E2E),$(if $(TEST_DATABASE_URL),,1)),true,echo "web end-to-end tests: run on the SQLite lane only (TEST_DATABASE_URL is set; E2E=1 forces them)")

test-js: $(NPM_STAMP)
	npx vitest run

test-e2e: install web chromium
	npx playwright test

clean:
	rm -rf $(VENV) instance dist node_modules test-artifacts

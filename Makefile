# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install test-python clean prod nginx

run: install
	./scripts/run-dev.sh

test: install test-python

test-python:
	$(PY) -m pytest

# Production mode on this machine: nginx (loopback) → gunicorn web process(es) + job worker,
# after `flask db upgrade heads`. Settings come from the environment / .env (see deploy/README.md).
prod: install nginx
	$(PY) -m deploy.stack run

# nginx from Debian's packages, installed once (as root) when missing.
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "nginx is missing: sudo apt-get install nginx"; exit 1; fi; }

install: $(STAMP)

$(STAMP): server/requirements.txt server/requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -r server/requirements-dev.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) instance dist node_modules

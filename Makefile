# The two commands a new user needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install test-python clean

run: install
	./scripts/run-dev.sh

test: install test-python

test-python:
	$(PY) -m pytest

install: $(STAMP)

$(STAMP): server/requirements.txt server/requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -r server/requirements-dev.txt
	touch $(STAMP)

clean:
	rm -rf $(VENV) instance dist node_modules

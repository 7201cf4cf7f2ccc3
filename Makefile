# Shipshape — two commands: `make run` (demo) and `make test` (every test).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/shipshape

.PHONY: help venv run test lint test-sqlite test-postgres postgres-up chromium clean

help:
	@echo "make run     set up everything and serve the demo on http://127.0.0.1:$(PORT)"
	@echo "make test    lint, checks and the whole test suite on SQLite and PostgreSQL"

# The virtualenv is rebuilt only when the lock file or pyproject change.
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_questionnaire fixtures/questionnaires/devops-maturity-v1.yaml
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# Browser journeys run once, in the PostgreSQL pass, against Debian's Chromium.
test-sqlite: $(VENV)/.installed
	$(PY) -m pytest -m "not e2e"

chromium:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

postgres-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='shipshape'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE shipshape"

test-postgres: $(VENV)/.installed postgres-up chromium
	DATABASE_URL=$(PG_URL) $(PY) -m pytest

test: lint test-sqlite test-postgres

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

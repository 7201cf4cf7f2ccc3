# Shipshape — two commands: `make run` (demo) and `make test` (every test).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
PYTHON ?= python$(PYTHON_VERSION)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/shipshape

.PHONY: help venv run serve bench load cluster rps screens test lint test-sqlite test-postgres postgres-up test-tools chromium clean

help:
	@echo "make run     set up everything and serve the demo on http://127.0.0.1:$(PORT) (with a task worker)"
	@echo "make test    lint, checks and the whole test suite on SQLite and PostgreSQL"
	@echo "make test-fast  unit and integration tests, two processes (the loop while you work)"
	@echo "make serve   production-like: gunicorn and a task worker, WhiteNoise, debug off (docs/operations.md)"
	@echo "make bench   benchmarks on the current database (see docs/performance.md)"
	@echo "make load    load test against make serve on PostgreSQL + Redis (docs/performance.md)"
	@echo "make screens screenshots of every page, role and width into test-artifacts/screens/"
	@echo "make rps     requests/s of the answering page against WEB_CONCURRENCY=2 make serve"

# The virtualenv is rebuilt only when the lock file or pyproject change.
$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	@touch $@

venv: $(VENV)/.installed

# Runs $(1) with a background task worker beside it (emails, reminders, chat
# notices: docs/operations.md), and stops the worker when $(1) stops, however it
# stops. The worker gets its own process group (setsid), so that the child its
# autoreloader starts (debug on) goes with it; without setsid it runs unreloaded.
define with_worker
if command -v setsid >/dev/null; then setsid $(PY) manage.py db_worker & \
else $(PY) manage.py db_worker --no-reload & fi; worker=$$!; \
if command -v setsid >/dev/null; then setsid $(1) & else $(1) & fi; server=$$!; \
trap 'for pid in '"$$server $$worker"'; do kill -TERM -- -$$pid 2>/dev/null || kill -TERM $$pid 2>/dev/null; done; \
	wait 2>/dev/null' EXIT; \
trap 'exit 130' INT; trap 'exit 143' TERM; \
echo "Task worker running (pid $$worker); it stops with the server."; \
wait $$server
endef

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_questionnaire fixtures/questionnaires/devops-maturity-v1.yaml
	$(PY) manage.py load_questionnaire fixtures/questionnaires/devops-maturity-v2.yaml
	$(PY) manage.py seed_demo
	@$(call with_worker,$(PY) manage.py runserver 127.0.0.1:$(PORT))

# Production-like server on this machine. Behind a TLS proxy, set
# DJANGO_SECURE_SSL_REDIRECT=true DJANGO_SECURE_COOKIES=true DJANGO_BEHIND_PROXY=true.
WEB_CONCURRENCY ?= $(shell echo $$(( $$(nproc) * 2 + 1 )))
serve: $(VENV)/.installed
	@test -f .secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > .secret_key
	@export DJANGO_DEBUG=false \
		DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" \
		DJANGO_SECURE_SSL_REDIRECT="$${DJANGO_SECURE_SSL_REDIRECT:-false}" \
		DJANGO_SECURE_COOKIES="$${DJANGO_SECURE_COOKIES:-false}" \
		DJANGO_HSTS_SECONDS="$${DJANGO_HSTS_SECONDS:-0}"; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py collectstatic --noinput -v0 || exit 1; \
	$(call with_worker,$(VENV)/bin/gunicorn assessment.wsgi --bind 127.0.0.1:$(PORT) \
		--workers $(WEB_CONCURRENCY) --max-requests 2000 --max-requests-jitter 200 \
		--graceful-timeout 30 --access-logfile - --forwarded-allow-ips 127.0.0.1)

# Every benchmark on the current database (DATABASE_URL, SQLite by default), one
# markdown table; debug off, so the hashed static files must exist. See docs/performance.md.
bench: $(VENV)/.installed
	@DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only $(PY) manage.py collectstatic --noinput -v0
	$(PY) bench/run.py

# Load test: starts `make serve` on 127.0.0.1:$(LOAD_PORT) with PostgreSQL and Redis,
# 50 users for 60 s, stops it, checks every submit in the database.
PERF_URL ?= postgres://postgres@127.0.0.1:5432/shipshape_perf
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/9
LOAD_PORT ?= 8123
load: $(VENV)/.installed
	DATABASE_URL="$${DATABASE_URL:-$(PERF_URL)}" REDIS_URL="$${REDIS_URL:-$(LOAD_REDIS_URL)}" \
		$(PY) bench/load.py --port $(LOAD_PORT)

# Scale-out test: two `make serve` on 127.0.0.1:$(CLUSTER_PORT)+1 and +2 behind nginx
# (installed when missing), one PostgreSQL and one Redis; server 1 is killed half-way.
CLUSTER_PORT ?= 8140
cluster: $(VENV)/.installed
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || apt-get install -y nginx
	DATABASE_URL="$${DATABASE_URL:-$(PERF_URL)}" REDIS_URL="$${REDIS_URL:-$(LOAD_REDIS_URL)}" \
		$(PY) bench/cluster.py --port $(CLUSTER_PORT)

# Full-page PNGs of every page type, for every demo role, at 390x844 and 1280x900,
# from the demo data in a throwaway (in-memory SQLite) database. Open them before
# committing a template or CSS change: see docs/development.md.
screens: $(VENV)/.installed chromium
	env -u DATABASE_URL $(PY) -m pytest tests/e2e/test_screens.py -m screens -q
	@echo "Screenshots: test-artifacts/screens/ (look at them)"

# Requests/s of the answering page for one logged-in member against
# `WEB_CONCURRENCY=2 make serve` on 127.0.0.1:$(RPS_PORT) (docs/performance.md).
RPS_PORT ?= 8124
rps: $(VENV)/.installed
	DATABASE_URL="$${DATABASE_URL:-$(PERF_URL)}" $(PY) bench/answering_rps.py --port $(RPS_PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# The suites (tests/conftest.py): unit, integration, e2e (browser), system (real
# processes). Browser journeys run once, in the PostgreSQL pass, against Debian's
# Chromium; the system tests run in both passes. Property tests try CI's full
# example counts (HYPOTHESIS_PROFILE=ci; tests/properties.py).
test-sqlite: $(VENV)/.installed test-tools
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -m "not e2e"

# The loop while you work: unit and integration tests in two processes, a tenth
# of CI's property-test examples; well under a minute. make test runs everything.
test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not e2e and not system" -n 2 -q

# Debian's chromium (browser journeys), nginx (reverse-proxy tests) and
# poppler-utils (pdftotext: the test that prints the team dashboard), when missing.
test-tools:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian's$$missing for the tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

chromium: test-tools

postgres-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='shipshape'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE shipshape"

test-postgres: $(VENV)/.installed postgres-up test-tools
	DATABASE_URL=$(PG_URL) HYPOTHESIS_PROFILE=ci $(PY) -m pytest

# The SQLite and PostgreSQL passes run side by side (one per core); each pass's
# output is printed whole when it ends (--output-sync), so the logs stay readable.
test: lint
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

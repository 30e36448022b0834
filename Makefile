# The North American Dialogue Portal. `make run` and `make test` do all their own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# Test settings: production-like (DEBUG off), with a throwaway key and no HTTPS redirect.
TEST_ENV := DJANGO_SECRET_KEY=test-only-not-secret DJANGO_ALLOWED_HOSTS=testserver,127.0.0.1,localhost DJANGO_HTTPS=0 \
	PORTAL_URL=http://testserver
DEV_ENV := DJANGO_DEBUG=1
# `make serve`: production settings over plain HTTP on this machine, with a key generated per run.
SERVE_ENV := DJANGO_DEBUG=0 DJANGO_HTTPS=0 DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost PORTAL_URL=http://127.0.0.1:8000 \
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')}

.PHONY: help install install-dev run serve bench export-memory screenshots faults test lint audit format migrations migrations-check messages makemessages ci clean

help:
	@echo "make run    - install, migrate, load demo data and serve http://127.0.0.1:8000 (SQLite)"
	@echo "make test   - run the whole suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)"
	@echo "make serve  - gunicorn + whitenoise, production-like, on http://127.0.0.1:8000"
	@echo "make lint   - ruff check and format check"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install messages
	$(DEV_ENV) $(MANAGE) migrate --noinput -v 0
	$(DEV_ENV) $(MANAGE) seed_demo --comments 40 --showcase
	@echo ""
	@echo "Serving the portal on http://127.0.0.1:8000/ (SQLite, db.sqlite3). Sign in with an account above."
	$(DEV_ENV) $(MANAGE) runserver 127.0.0.1:8000

serve: install messages
	$(SERVE_ENV) $(MANAGE) migrate --noinput -v 0
	$(SERVE_ENV) $(MANAGE) collectstatic --noinput -v 0
	$(SERVE_ENV) $(BIN)/gunicorn spp_portal.wsgi --bind 127.0.0.1:8000 --workers 2 --timeout 120 --access-logfile -

# Throughput of the main pages against a bare template page, under gunicorn (not a test; see
# tools/bench.py). SQLite in var/bench/, or DATABASE_URL=postgres://... (created if missing).
bench: install messages
	DATABASE_URL="$(DATABASE_URL)" $(BIN)/python -m tools.bench $(BENCH_ARGS)

# Peak memory of the streamed open-data export of 100,000 comments (tools/export_memory.py).
export-memory: install messages
	DATABASE_URL="$(DATABASE_URL)" $(BIN)/python -m tools.export_memory $(EXPORT_ARGS)

# The README's screenshots (tools/screenshots/*.png) from a portal served on a free port with its own
# database in var/screenshots/, in Debian's Chromium (see tools/screenshots.py).
screenshots: install-dev messages
	$(BIN)/python -m tools.screenshots

# The fault table: gunicorn, PostgreSQL, Redis, a Celery worker and SMTP, each taken away in turn
# (tools/faults.py); needs PostgreSQL on 127.0.0.1:5432 and redis-server installed.
faults: install-dev messages
	$(BIN)/python -m tools.faults $(FAULTS_ARGS)

test: install-dev messages
	$(TEST_ENV) $(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in requirements.txt (pip-audit against PyPI's advisories; see .ci/pip_audit.py).
audit: install-dev
	$(BIN)/python .ci/pip_audit.py

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations: install
	$(DEV_ENV) $(MANAGE) makemigrations

migrations-check: install
	$(DEV_ENV) $(MANAGE) makemigrations --check --dry-run

# The French and Spanish catalogues: .mo files are build output (not committed), compiled from
# locale/*/LC_MESSAGES/django.po by msgfmt when installed, by polib otherwise; up-to-date ones are skipped.
messages: install
	$(DEV_ENV) $(MANAGE) compile_catalogues

# Refresh the catalogues from the code after interface text changed; then translate every new
# or fuzzy entry in locale/fr and locale/es (tests/test_i18n.py fails until none is left).
makemessages: install
	$(DEV_ENV) $(MANAGE) makemessages -l fr -l es --ignore=.venv --ignore=staticfiles --ignore=var \
		--ignore=test-results --ignore=tests

ci: lint audit migrations-check test

clean:
	rm -rf $(VENV) staticfiles var .pytest_cache .ruff_cache

# Exolog: `make run` sets everything up and serves the demo; `make test` lints and runs the suite.
SHELL := /bin/bash
# Python caches the project's bytecode even where the environment says not to (this machine's
# does): every manage.py command and test worker would otherwise compile Django again at start.
unexport PYTHONDONTWRITEBYTECODE
VENV := .venv
PY := $(VENV)/bin/python
PYTHON_CANDIDATES := python3.13 python3.12 python3 python \
	$(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) $(wildcard /usr/local/bin/python3.1[2-9])
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PATIENTS ?= 60
# The suite runs in parallel, one worker per core (each with its own test database).
TEST_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)

SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

.PHONY: run test setup setup-dev venv venv-dev assets system-deps migrate demo lint check-deploy security-report screenshots clean

# Pick the first interpreter that really runs and is >= 3.12 (pyenv shims may exist but fail).
$(PY):
	@for p in $(PYTHON_CANDIDATES); do \
	  if "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    echo "Using $$p ($$("$$p" --version))"; "$$p" -m venv $(VENV) && exit 0; \
	  fi; \
	done; \
	echo "No Python >= 3.12 found. Install Python 3.12 or newer and run make again." >&2; exit 1

# The pinned requirements go in with uv (from PyPI, pinned here): seconds where pip takes about a
# minute. pip installs them if uv cannot (no wheel of uv for the platform, say).
UV_VERSION := 0.13.9
define install_requirements
	( $(PY) -m pip install --quiet uv==$(UV_VERSION) \
	  && $(VENV)/bin/uv pip install --quiet --python $(PY) -r $(1) ) \
	|| $(PY) -m pip install --quiet -r $(1)
endef

# The runtime packages and the demo's (make run); tests and tooling on top (make test).
$(VENV)/.installed-demo: requirements.txt requirements-demo.txt | $(PY)
	$(call install_requirements,requirements-demo.txt)
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-demo.txt requirements-dev.txt | $(PY)
	$(call install_requirements,requirements-dev.txt)
	@touch $@ $(VENV)/.installed-demo

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the Bootstrap and Chart.js assets (install Node.js 20+)." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian packages the tests need: Chromium for the browser tests, Pango for PDF rendering.
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing $$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Missing Debian packages: $$missing (sudo apt-get install $$missing)" >&2; exit 1; fi; \
	fi

venv: $(VENV)/.installed-demo
venv-dev: $(VENV)/.installed-dev
assets: node_modules/.installed
setup: venv assets
setup-dev: venv-dev assets

migrate: setup
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput

# The demo accounts have no phone: EXOLOG_DEMO_SKIP_SECOND_FACTOR lets them in (refused without DEBUG).
demo: migrate
	DJANGO_DEBUG=true EXOLOG_DEMO_SKIP_SECOND_FACTOR=true $(PY) manage.py seed_demo --patients $(DEMO_PATIENTS)

run: demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	DJANGO_DEBUG=true EXOLOG_DEMO_SKIP_SECOND_FACTOR=true $(PY) manage.py runserver $(HOST):$(PORT)

# ruff, and the import contracts of docs/ARCHITECTURE.md (pyproject.toml, [tool.importlinter]).
lint: venv-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

test: setup-dev system-deps lint
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	# Coverage through sys.monitoring (Python 3.12+): line coverage at about half the cost of the
	# default tracer here.
	COVERAGE_CORE=sysmon $(VENV)/bin/pytest -n $(TEST_WORKERS) --cov --cov-report=term $(PYTEST_ARGS)

# Production settings must pass Django's deployment checks with no warning. A production
# environment sets EMAIL_HOST (Django refuses the console mail backend there), CLINIC_PHONE
# (exolog.E001: the aftercare sheet needs it), EXOLOG_BASE_URL (exolog.E002: links in mail) and
# EXOLOG_RESEARCH_KEY (exolog.E003: the research export's pseudonyms), so this does too.
check-deploy: setup
	DJANGO_DEBUG=false DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(60))')" \
	DJANGO_ALLOWED_HOSTS=clinic.example EMAIL_HOST=smtp.clinic.example CLINIC_PHONE="+49 30 1234567" \
	EXOLOG_BASE_URL=https://clinic.example \
	EXOLOG_RESEARCH_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(48))')" \
	$(PY) manage.py check --deploy --fail-level WARNING

# Runs the whole suite; the pytest plugin tests/security_report.py then rewrites docs/SECURITY.md
# (each checklist item's marked tests and their figures). Fails when a test fails.
security-report: setup-dev system-deps
	DJANGO_SETTINGS_MODULE=tests.settings $(VENV)/bin/pytest -n $(TEST_WORKERS) --security-report=docs/SECURITY.md $(PYTEST_ARGS)

# The README's screenshots: a scratch demo database (SCREENSHOT_PATIENTS patients), served on a free
# port, the main pages at 1366 and 390 px into docs/screenshots/ (tests/screenshots.py).
SCREENSHOT_PATIENTS ?= 20
screenshots: setup-dev system-deps
	$(PY) -m tests.screenshots --patients $(SCREENSHOT_PATIENTS)

clean:
	rm -rf $(VENV) node_modules staticfiles .coverage htmlcov

# The production stack on this machine (docs/DEPLOYMENT.md): collectstatic (hashed, compressed
# files for WhiteNoise), migrate, the tasks worker (reminder digests) in the background and gunicorn
# with gunicorn.conf.py in the foreground on EXOLOG_BIND (default $(HOST):$(PORT)); Ctrl-C stops
# both. It reads the production environment from the caller (.env.example): DJANGO_SECRET_KEY,
# DATABASE_URL (PostgreSQL; empty means SQLite), DJANGO_ALLOWED_HOSTS, EXOLOG_BASE_URL, ...
# On plain HTTP (no proxy in front) also set DJANGO_SECURE_SSL_REDIRECT=false.
.PHONY: serve
serve: setup
	@test -n "$$DJANGO_SECRET_KEY" || { echo "make serve runs the production settings: set DJANGO_SECRET_KEY (and the rest of .env.example) first." >&2; exit 1; }
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput
	@$(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	EXOLOG_BIND="$${EXOLOG_BIND:-$(HOST):$(PORT)}" $(VENV)/bin/gunicorn -c gunicorn.conf.py

# Benchmarks (bench/README.md): they print figures and write bench/results/; they are not tests.
# Dataset sizes: BENCH_SIZES=1000,100000 (the default); datasets in bench/data/ are reused.
.PHONY: bench bench-serve bench-smoke bench-scaleout bench-backup bench-scan bench-load bench-faults

# Every page at both sizes on SQLite, then on a PostgreSQL the bench starts and stops itself.
bench: venv
	$(PY) -m bench.pages --vendor sqlite
	$(PY) -m bench.pages --vendor postgresql

# gunicorn (production settings, real second factor) and wrk; BENCH_SERVE_VENDOR, BENCH_SERVE_SIZE.
# Needs the npm assets for collectstatic.
bench-serve: setup
	$(PY) -m bench.serve

# CI: SQLite, 200 patients; fails on a 5xx, a page over 12 queries or HTML over 150 KB.
bench-smoke: venv
	$(PY) -m bench.pages --smoke

# Two gunicorn instances on two ports sharing one PostgreSQL: one session on both, no digest sent
# twice by two senders at once (docs/RELIABILITY.md).
bench-scaleout: venv
	$(PY) -m bench.scaleout

# pg_dump/pg_restore and the app's backup_db/restore_db of a demo clinic, compared table by table.
bench-backup: venv
	$(PY) -m bench.backup_drill

# wapiti and sqlmap (Debian packages) with a signed-in physician's session against gunicorn with
# the production settings, on a throwaway copy of the 200-patient bench dataset.
bench-scan: setup
	$(PY) -m bench.scan

# locust, headless: physicians and staff journeys against gunicorn + PostgreSQL, then the checks
# (docs/RELIABILITY.md, "Load"). LOAD_USERS=10 LOAD_SECONDS=60 for a short look.
LOAD_USERS ?= 50
LOAD_SECONDS ?= 600
bench-load: venv-dev
	$(PY) -m bench.load.run --users $(LOAD_USERS) --duration $(LOAD_SECONDS)

# The fault drills (docs/RELIABILITY.md, "Faults"): PostgreSQL restarted mid-load, SQLite out of
# space, the digest worker killed, two sessions writing the same record at once.
bench-faults: venv
	$(PY) -m bench.faults

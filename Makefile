# OpsCore: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded default for a developer's machine; production sets DEBUG=0 and SECRET_KEY.
DEV_ENV := DEBUG=1

.PHONY: help install run demo migrate test test-fast lint typecheck format check lock bench clean

help:
	@echo "make run    set up and serve http://$(HOST):$(PORT) with demo data"
	@echo "make test   set up and run the whole test suite"
	@echo "make lint   ruff; make check: Django checks and missing migrations"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "OpsCore needs Python 3.11 or newer")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p data
	$(DEV_ENV) $(PY) manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) $(PY) manage.py demo_data

run: demo
	@echo "OpsCore on http://$(HOST):$(PORT)  (admin/admin, alice/opscore, bob/opscore)"
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy opscore procedures executions sharing attachments

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	$(DEV_ENV) $(PY) manage.py check
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run

# Regenerates requirements.lock from pyproject.toml in a clean virtualenv.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet ".[dev]"
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^opscore' > requirements.lock
	rm -rf .lock-venv

bench: install
	@echo "See README.md (Benchmarks): each script in bench/ prints its own figures."

clean:
	rm -rf $(VENV) data/static .pytest_cache

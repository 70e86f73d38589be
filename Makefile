# Two commands for a newcomer: `make run` (the app with a demo programme) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint format migrations-check services bench clean

$(VENV)/.installed: pyproject.toml
	@python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Hypercare needs Python 3.11 or newer")'
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "  Hypercare is starting on http://127.0.0.1:$(PORT)/  (log in as lead, desk, champion … with password hypercare-demo)"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_DEBUG=1 PORT=$(PORT) honcho start -f Procfile.dev

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: install
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# The same process set against local PostgreSQL and Redis (what docker-compose runs).
services: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" honcho start -f Procfile

clean:
	rm -rf $(VENV) var staticfiles

# The benchmark suite (PostgreSQL, gunicorn, wrk); SIZES=10000,100000,1000000 for the full table.
# PEER=1 also seeds django-helpdesk from ../shared/peer-bench and measures it beside ours.
SIZES ?= 10000,100000
PEER ?=
bench: install
	$(PY) bench/run.py --sizes $(SIZES) $(if $(filter 1,$(PEER)),--peer,)

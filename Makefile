# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install migrate demo clean sandbox browser

# Debian and Ubuntu ship venv apart from the interpreter (python3.11-venv): installed when root.
$(PY):
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); bash scripts/ensure_packages.sh $(notdir $(PYTHON))-venv && $(PYTHON) -m venv $(VENV); }

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The scoring sandbox: bubblewrap (installed with apt-get when root) and the Python runtime submitted code uses.
sandbox: install
	bash scripts/ensure_sandbox.sh
	bash scripts/build_sandbox_runtime.sh
	$(PY) manage.py check_sandbox

# What the browser tests drive: Debian's Chromium (installed with apt-get when root).
browser:
	bash scripts/ensure_packages.sh chromium:/usr/bin/chromium

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable

demo: migrate
	$(PY) manage.py seed_demo

## Set up everything and run the web server, a Celery worker and Celery beat with demo data.
run: install
	bash scripts/run.sh

## Set up and run ruff and the whole pytest suite (DATABASE_URL / CELERY_BROKER_URL are used when set).
test: sandbox browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf var

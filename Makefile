# HIM: `make run` for a first look, `make test` before every commit.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

VENV ?= .venv
PY := $(VENV)/bin/python
# Extra pytest arguments, e.g. make test PYTEST_ARGS="-m 'not e2e' -x"
PYTEST_ARGS ?=
# python3.11 where present (the supported version), else whatever python3 is.
PYTHON_BOOT := $(shell command -v python3.11 2>/dev/null || command -v python3)

.PHONY: help venv run check test fmt clean

help:
	@echo "make run    start HIM on http://127.0.0.1:8000 (SQLite, filesystem broker, web + worker)"
	@echo "make test   format check, lint, Django checks, migrations check, pytest"
	@echo "make fmt    format and autofix lint"
	@echo "make clean  remove var/ and $(VENV)"

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_codesets
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0
	VENV=$(VENV) bash scripts/run-embedded.sh

# Everything `make test` does before pytest.
check: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

test: check
	@rc=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): treated as a failure" >&2; fi; \
	exit $$rc

fmt: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf var $(VENV)

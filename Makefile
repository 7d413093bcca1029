# BlockCampus. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.installed node_modules/.installed ## Create .venv and install the pinned Python and npm packages

migrate: install ## Apply database migrations
	$(PY) manage.py preflight
	$(PY) manage.py migrate --no-input

seed: migrate ## Seed the demo campus (idempotent)
	$(PY) manage.py seed_demo

run: seed ## Install, migrate, seed and serve on http://127.0.0.1:8000 (web, worker, beat); Ctrl-C stops all
	@echo "Serving BlockCampus on http://$${BLOCKCAMPUS_HOST:-127.0.0.1}:$${BLOCKCAMPUS_PORT:-8000}/"
	$(VENV)/bin/honcho start -f Procfile

test: install ## Install, lint and run the whole test suite
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run > /dev/null
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## Lint and check formatting
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install ## Format the code and apply safe lint fixes
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

BENCHES := bench/engine.py bench/desk.py bench/api.py bench/compile.py bench/chain.py bench/chainhost.py bench/markets.py bench/streams.py bench/publish.py bench/stream_beat.py bench/deposits.py bench/pages.py

bench: install ## Run every benchmark; each prints `name: value unit` lines
	@for b in $(BENCHES); do echo "# $$b"; $(PY) $$b || exit 1; done

messages: install ## Rebuild the Korean translation catalogue after adding strings
	$(PY) manage.py makemessages -l ko --ignore=.venv --ignore=node_modules --ignore=var
	$(PY) manage.py compilemessages -l ko --ignore=.venv --ignore=node_modules

.PHONY: help install migrate seed run test lint format bench messages

# `make run` and `make test` work on a fresh machine: each builds only what is missing first.
SHELL := /bin/bash
VENV := .venv
RASA_VENV := .venv-rasa
TRIALBOT := $(VENV)/bin/trialbot

.PHONY: setup run test lint format audit bench clean

## setup: build what is missing — both environments, Chromium and HAProxy, the database schema,
## the Rasa model
setup: $(VENV)/.installed $(RASA_VENV)/.installed
	@scripts/setup.sh browser
	@scripts/setup.sh haproxy
	@$(TRIALBOT) db upgrade
	@$(TRIALBOT) kb tune --if-needed || echo "The encoder was not tuned: run .venv/bin/trialbot kb tune"
	@$(TRIALBOT) kb index || echo "The knowledge files have problems: run .venv/bin/trialbot kb lint"
	@$(TRIALBOT) train

$(VENV)/.installed: pyproject.toml requirements/app.txt scripts/setup.sh
	@scripts/setup.sh app

$(RASA_VENV)/.installed: requirements/rasa.txt scripts/setup.sh
	@scripts/setup.sh rasa

## run: the whole stack on the embedded defaults; Ctrl-C stops it
run: setup
	@$(TRIALBOT) run

## test: lint, types, and every test (PostgreSQL ones skip unless a server answers; CI requires them)
test: setup lint
	@$(VENV)/bin/pytest

lint: $(VENV)/.installed
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy

format: $(VENV)/.installed
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

## audit: known vulnerabilities in both environments, from PyPI's advisory data (CI runs it;
## it needs PyPI). Fails on a fixable one in .venv; lists those of Rasa's .venv-rasa
audit: $(VENV)/.installed $(RASA_VENV)/.installed
	@$(VENV)/bin/python scripts/dependency_audit.py --name .venv --fail-on fixable
	@$(RASA_VENV)/bin/python scripts/dependency_audit.py --name .venv-rasa --fail-on never

## bench: message-to-reply latency through the gateway and straight to Rasa (starts the stack)
bench: setup
	@$(VENV)/bin/python bench/latency

## clean: remove what set-up and runs produced (keeps the environments)
clean:
	rm -rf models var .pytest_cache .mypy_cache .ruff_cache .rasa results

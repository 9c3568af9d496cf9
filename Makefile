# Two commands do all the set-up on a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v /root/.pyenv/versions/3.12.1/bin/python3.12 2>/dev/null || command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck build clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/orchestrator run --all --quiet

test: $(STAMP)
	$(BIN)/ruff check orchestrator functions tests bench
	$(BIN)/ruff format --check orchestrator functions tests bench
	$(BIN)/mypy
	$(BIN)/orchestrator build --check
	$(BIN)/orchestrator validate
	$(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check orchestrator functions tests bench
	$(BIN)/ruff format --check orchestrator functions tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

build: $(STAMP)
	$(BIN)/orchestrator build

clean:
	rm -rf $(VENV) .orchestrator .bench infra/package .aws-sam

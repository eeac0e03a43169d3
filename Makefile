# The README's two commands are `make run` and `make test`; `.ci/run` calls `make test` as written.
# A local virtual environment in .venv; torch comes first so pip takes the CPU wheel (override: make TORCH='torch>=2.4').
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin

.PHONY: run test dev readme

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/pip install -q "$(TORCH)"
	touch $@

$(VENV)/.core: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.torch
	$(BIN)/pip install -q -e ".[dev]"
	touch $@ $(VENV)/.core

run: $(VENV)/.core
	$(BIN)/codenas experiment --preset quick

dev: $(VENV)/.dev

test: $(VENV)/.dev
	$(BIN)/python -m pytest

readme: $(VENV)/.dev
	$(BIN)/python tools/readme.py

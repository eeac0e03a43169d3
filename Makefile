# The README's two commands are `make run` and `make test`; `.ci/run` calls `make test` as written.
# A local virtual environment in .venv; torch comes first so pip takes the CPU wheel (override: make TORCH='torch>=2.4').
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
# The installer: uv where there is one (in the venv or on PATH), else pip (`make dev UV=` insists on pip). uv takes what
# pip would, from pip's own configuration (tools/uv_args.py), and compiles the bytecode as pip does, in about half
# pip's CPU time and with both cores; CI puts it in the venv first (.ci/run).
UV     ?= $(firstword $(wildcard $(BIN)/uv) $(shell command -v uv 2>/dev/null))
INSTALL = $(if $(UV),$(UV) pip install -q --python $(BIN)/python --compile-bytecode $$($(BIN)/python tools/uv_args.py),$(BIN)/pip install -q)

.PHONY: run test dev readme

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(INSTALL) "$(TORCH)"
	touch $@

$(VENV)/.core: pyproject.toml $(VENV)/.torch
	$(INSTALL) -e .
	touch $@

$(VENV)/.dev: pyproject.toml $(VENV)/.torch
	$(INSTALL) -e ".[dev]"
	touch $@ $(VENV)/.core

run: $(VENV)/.core
	$(BIN)/codenas experiment --preset quick

dev: $(VENV)/.dev

test: $(VENV)/.dev
	$(BIN)/python -m pytest

readme: $(VENV)/.dev
	$(BIN)/python tools/readme.py

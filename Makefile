# Two commands do all the set-up: `make run` and `make test` (SPEC §11).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint bench train venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: venv
	PORT=$(PORT) $(BIN)/feedbackloop serve --demo

test: venv
	$(BIN)/pytest -n 2 --dist load

lint: venv
	$(BIN)/ruff check feedbackloop tests bench
	$(BIN)/mypy

train: venv
	$(BIN)/feedbackloop train

bench: venv
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/analysis_bench.py

clean:
	rm -rf $(VENV) var

# The two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simchain run scenarios/double11.yaml --seed 1 --out results/demo

test: $(STAMP) lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check simchain tests benchmarks
	$(BIN)/ruff format --check simchain tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy simchain

unit: $(STAMP)
	$(BIN)/pytest -n auto

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache results/demo

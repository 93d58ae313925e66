# The two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Root installs Debian packages itself; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit bench browser screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simchain run scenarios/double11.yaml --seed 1 --out results/demo

# The report rendering tests need Chromium: installed here when absent, and required.
test: export SIMCHAIN_REQUIRE_BROWSER = 1
test: $(STAMP) browser lint typecheck unit

browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "Installing Chromium (Debian package chromium) for the report rendering tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check simchain tests benchmarks docs
	$(BIN)/ruff format --check simchain tests benchmarks docs

typecheck: $(STAMP)
	$(BIN)/mypy simchain

unit: $(STAMP)
	$(BIN)/pytest -n auto

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# The README's report pictures (docs/*.png), drawn from fresh runs in headless Chromium.
screenshots: $(STAMP) browser
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache results/demo

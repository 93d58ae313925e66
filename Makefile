# The two commands: `make demo` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Root installs Debian packages itself; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit unit-pure bench browser screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/simchain run scenarios/double11.yaml --seed 1 --out results/demo

# The report rendering tests need Chromium: installed here when absent, and required.
test: export SIMCHAIN_REQUIRE_BROWSER = 1
test: $(STAMP) browser lint typecheck unit unit-pure

browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "Installing Chromium (Debian package chromium) for the report rendering tests"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(BIN)/ruff check simchain tests benchmarks docs setup.py
	$(BIN)/ruff format --check simchain tests benchmarks docs setup.py

typecheck: $(STAMP)
	$(BIN)/mypy simchain

# The suite on the compiled model (built by the install where a C compiler exists), then the
# exact golden results once more on the model's sources, as a machine without a compiler runs.
unit: $(STAMP)
	SIMCHAIN_REQUIRE_COMPILED=$$(command -v cc >/dev/null 2>&1 && echo 1 || echo 0) $(BIN)/pytest -n auto

unit-pure: $(STAMP)
	SIMCHAIN_PURE=1 $(BIN)/pytest -n auto tests/test_golden.py tests/test_compiled.py

# The peer simulator (the `peers` extra) is installed for the benchmark only.
bench: $(STAMP)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['peers'])" | xargs $(BIN)/python -m pip install --quiet
	$(BIN)/python -m benchmarks.run

# The README's report pictures (docs/*.png), drawn from fresh runs in headless Chromium.
screenshots: $(STAMP) browser
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache results/demo

# The two commands: `make demo` and `make test`. Everything else is set up on the way.
# The interpreter: a distribution's own CPython 3.11 where there is one (built with profile-
# guided optimisation, it runs the simulator about 1.2x faster than a plain source build), else
# python3. Any other: `make PYTHON=/path/to/python3.11 ...`.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
COMPILED := $(VENV)/.compiled
# The compiled modules' sources, as setup.py lists them.
MODEL_COMPILED := $(patsubst %,simchain/model/%.py,$(shell sed -n '/^COMPILED = \[/,/^\]/p' setup.py | tr -dc 'a-z_\n' | grep -v '^compiled'))

# Root installs Debian packages itself; anyone else through sudo.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit unit-pure bench browser screenshots clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && python3 -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $(COMPILED)

# The install compiles the model's hot modules (setup.py); an edited one is compiled again here
# (until then the model runs from its sources, see simchain/model/__init__.py).
$(COMPILED): $(STAMP) $(MODEL_COMPILED)
	$(BIN)/python setup.py --quiet build_ext --inplace
	touch $(COMPILED)

demo: $(COMPILED)
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
# exact golden results once more on the model's sources, as a machine without a compiler runs
# (with the line-haul tests, one of which counts events by patching the model).
unit: $(COMPILED)
	SIMCHAIN_REQUIRE_COMPILED=$$(command -v cc >/dev/null 2>&1 && echo 1 || echo 0) $(BIN)/pytest -n auto

unit-pure: $(COMPILED)
	SIMCHAIN_PURE=1 $(BIN)/pytest -n auto tests/test_golden.py tests/test_compiled.py tests/test_linehaul.py

# The peer simulator (the `peers` extra) is installed for the benchmark only.
bench: $(COMPILED)
	$(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['peers'])" | xargs $(BIN)/python -m pip install --quiet
	$(BIN)/python -m benchmarks.run

# The README's report pictures (docs/*.png), drawn from fresh runs in headless Chromium.
screenshots: $(STAMP) browser
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache results/demo

# The two quick-start commands: `make demo` and `make test`. Each creates its own virtualenv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest install clean emulator bench checkov

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[cli,dev]'
	touch $(STAMP)

install: $(STAMP)

# checkov lives in its own virtualenv (scripts/checkov.sh says why) and only the Terraform tests
# use it: the demo never waits for it.
checkov:
	bash scripts/checkov.sh --setup

demo: $(STAMP)
	$(BIN)/chatsync demo

lint: $(STAMP)
	$(BIN)/ruff check functions tests scripts
	$(BIN)/ruff format --check functions tests scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) checkov
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

emulator: $(STAMP)
	$(BIN)/chatsync emulator --port 8089

bench: $(STAMP)
	$(BIN)/chatsync bench --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

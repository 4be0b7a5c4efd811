# Two commands do everything on a fresh machine with Python 3.11+:
#   make run    start the cockpit on the embedded database with demo data
#   make test   run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install bench clean

$(BIN)/cockpit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BIN)/cockpit

install: $(BIN)/cockpit

run: install
	$(BIN)/cockpit demo --if-empty
	$(BIN)/cockpit

test: install
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -n 2

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache

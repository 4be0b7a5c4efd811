# Two commands do everything on a fresh machine with Python 3.11+:
#   make run    start the cockpit on the embedded database with demo data
#   make test   run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install bench clean

# setuptools warns on every editable install of a flat layout ("be careful with folders ... with the same
# name as your package"): a notice, not a problem here, so the install runs with warnings off.
$(BIN)/cockpit: pyproject.toml
	@echo "==> creating the virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@echo "==> updating pip"
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "==> installing the cockpit and its pinned dependencies (about a minute the first time)"
	@PYTHONWARNINGS=ignore $(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@# the editable install compiles none of the cockpit's own modules: the first start would pay it (~0.1 s)
	@$(BIN)/python -m compileall -q -j 0 cockpit screens widgets styles
	@touch $(BIN)/cockpit
	@echo "==> installed: $(BIN)/cockpit"

install: $(BIN)/cockpit

run: install
	@echo "==> demo data (only when the database is empty)"
	@$(BIN)/cockpit demo --if-empty
	@echo "==> starting the cockpit"
	@$(BIN)/cockpit

test: install
	$(BIN)/lint-imports
	@# three workers on 2 cores: a test spends much of its time waiting on PostgreSQL, the mail and calendar
	@# servers and Textual's timers, and the third worker fills that (9 min 21 s with two, 7 min 18 s with three)
	$(BIN)/python -m pytest -q -n 3

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache

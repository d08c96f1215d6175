# One task runner: make run, make test, make lint.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint init bench clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

init: $(BIN)/.installed
	$(BIN)/python -m tracking init --demo

## Install, create the database with strategy and demo data, start the dashboard.
run: init
	$(BIN)/streamlit run server.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

node_modules/axe-core/axe.min.js: package.json
	npm install --no-audit --no-fund --silent
	touch $@

## Install and run the whole test suite; with TEST_DATABASE_URL set, the tests
## that make their own database (pages, browser, command line) run once more on PostgreSQL.
test: $(BIN)/.installed node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -n 2 --dist worksteal
	if [ -n "$$TEST_DATABASE_URL" ]; then TEST_BACKEND=postgres $(BIN)/python -m pytest -n 2 --dist worksteal; fi

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/rollup_benchmark.py

clean:
	rm -rf $(VENV) data/tracking.sqlite

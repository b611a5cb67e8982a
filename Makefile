# pepflow: `make run` installs and runs the main job; `make test` installs and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

AXE := tests/browser/node_modules/axe-core/axe.min.js

.PHONY: install run test bench clean

# running needs pepflow and its dependencies; the tests need their tools besides
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)

run: install
	$(BIN)/pepflow run --demo

# axe-core (accessibility checks the browser tests load into each page), pinned in package-lock.json
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $(AXE)

test: $(TEST_STAMP) $(AXE)
	$(BIN)/python -m pytest

bench: $(TEST_STAMP)
	$(BIN)/python bench/calendar.py
	$(BIN)/python bench/pep_machine.py --children 100000
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/faults.py --kills 100
	$(BIN)/python bench/report.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/web_load.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/fuzz.py
	$(BIN)/python bench/tamper.py
	$(BIN)/python bench/history_writers.py
	$(BIN)/python bench/replay.py
	$(BIN)/python bench/import.py
	$(BIN)/python bench/children.py
	$(BIN)/python bench/pep_page.py
	$(BIN)/python bench/attendance.py
	$(BIN)/python bench/records.py

# what make install and make run made here: the virtual environment, the demo's database and its emails
clean:
	rm -rf $(VENV) pepflow.db pepflow.db-* pepflow-simulation.db pepflow-simulation.db-* outbox outbox-simulation

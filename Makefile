# pepflow: `make run` installs and runs the main job; `make test` installs and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/pepflow run --demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/calendar.py
	$(BIN)/python bench/pep_machine.py --children 100000
	$(BIN)/python bench/sweep.py

clean:
	rm -rf $(VENV) pepflow-demo.db* outbox

# mdcd_lab: two commands on a fresh machine with python3 and make.
#   make demo   creates .venv, installs mdcd_lab, runs the main job
#   make test   the same with the dev extras, then ruff and the whole test suite
#   make docs   the guides and the API reference, warnings as errors (site/)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test docs lab figures bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/mdcd-lab demo --quiet --out $(OUT)/demo

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@ $(VENV)/.installed

# The guides and the API reference (from the NumPy docstrings) into site/;
# any warning (a broken link, a docstring griffe cannot parse) fails the build.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) $(OUT) site .pytest_cache .hypothesis

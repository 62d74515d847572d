# mdcd_lab: two commands on a fresh machine with python3 and make.
#   make demo   creates .venv, installs mdcd_lab, runs the main job
#   make test   the same with the dev extras, then ruff and the fast tier of the tests
#   make test-all  ruff and every tier of tests/ (what CI runs, with docs and test-browser)
#   make docs   the guides, tutorial, gallery and API reference, warnings as errors (site/)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out

.PHONY: demo test test-all test-browser mutation docs lab figures figure-baselines bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-browser: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,browser]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,lab]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/mdcd-lab demo --quiet --out $(OUT)/demo

# The tiers of tests/ (docs/testing.md): the fast tier is every test without a tier
# marker; test-all runs them all.
TIERS := slow or statistical or explore or subprocess or browser

# The tests run in one pytest worker per core (pytest-xdist), each test file in one
# worker (its module fixtures built once); PYTEST_WORKERS=0 runs them in this process.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	MDCD_TEST_TIER=fast $(BIN)/python -m pytest -q $(XDIST) -m "not ($(TIERS))"

test-all: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(XDIST)

$(VENV)/.installed-mutation: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-dev

# Mutation testing of the reference rules and the oracle, one module at a time, each
# mutant against the fast-tier tests that cover it (docs/testing.md); MODULES=... to pick,
# MUTATION_ARGS="--resume --max-children 1" to finish a stopped run on one core.
MODULES ?= levels confidence low act sdw recovery oracle
MUTATION_ARGS ?=
mutation: $(VENV)/.installed-mutation
	$(BIN)/python benchmarks/mutation.py $(MUTATION_ARGS) $(MODULES)

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $@ $(VENV)/.installed

# The guides, the tutorial (notebook 02, executed), the figure gallery and the API
# reference (from the NumPy docstrings) into site/; any warning (a broken link, a
# docstring griffe cannot parse, a notebook cell that fails) fails the build, and so
# does docs/check_site.py (a raw Sphinx role, a missing image, an unlinked guide name).
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site
	$(BIN)/python docs/check_site.py site

# JupyterLab in headless Chromium (Debian's chromium + chromium-driver, installed here
# when missing), driven by selenium: notebooks 02 and 03 show their figures and the run
# explorer answers a click.  Screenshots: out/browser/.
test-browser: $(VENV)/.installed-browser
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing Debian's chromium and chromium-driver"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends chromium chromium-driver; \
	fi
	$(BIN)/python -m pytest -q -p no:cacheprovider tests_browser

figures: $(VENV)/.installed
	$(BIN)/mdcd-lab figures --out data/figures --runs 2000

# The figure-regression test's baselines (tests/figure_baselines/, 60 dpi PNGs), redrawn
# from the committed CSVs: after a wanted change of a figure, or when matplotlib changes.
# Look at them before committing (docs/figures.md, "Regression test").
figure-baselines: $(VENV)/.installed-dev
	$(BIN)/python tests/test_figure_baselines.py --refresh

lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab notebooks/

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) $(OUT) site .pytest_cache .hypothesis

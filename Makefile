# countyfiscal — `make` lists the targets; `make figures` is the main job, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
LOCK_TOOLS := .cache/lock-tools
UV_VERSION := 0.13.8
.PHONY: help venv lock extract check figures notebooks test test-fast bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'

# Every dependency (direct and transitive, dev extras included) is installed from requirements.lock, each file
# checked against its hash, into a new .venv (so nothing installed before lingers); the package itself then goes in
# without resolving anything more. tests/test_packaging.py checks that .venv holds exactly what the lock lists.
$(STAMP): pyproject.toml requirements.lock
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (countyfiscal)" >/dev/null
	@mkdir -p $(MPLCONFIGDIR)
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install the package with its locked, hashed dependencies

lock: ## regenerate requirements.lock from pyproject.toml (after changing a dependency; commit both)
	test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install --quiet uv==$(UV_VERSION))
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
		--quiet -o requirements.lock

extract: $(STAMP) ## read every disclosure in data/raw into data/processed (documents, figures, flags, metrics, themes)
	$(VENV)/bin/countyfiscal extract data/raw --out data/processed

check: $(STAMP) ## re-run the checks and metrics on data/processed
	$(VENV)/bin/countyfiscal check data/processed --raw-dir data/raw

figures: extract ## main job: extract, then run every notebook of reports.yml into reports/ (index.html, figures)
	$(VENV)/bin/countyfiscal figures --config reports.yml --reports reports --processed data/processed

notebooks: extract ## re-run the committed notebooks with their defaults over data/processed, so nbval compares today's numbers (then commit them)
	$(PY) -m countyfiscal.report.render notebooks/*.ipynb

test: extract ## every test: unit tests, the seed labels, and nbval over the committed notebooks
	$(PY) -m pytest tests src/countyfiscal --doctest-modules -q -p no:cacheprovider
	$(PY) -m pytest --nbval-lax notebooks/ -q -p no:cacheprovider

test-fast: $(STAMP) ## unit tests only
	$(PY) -m pytest tests -q -x

bench: $(STAMP) ## the speed figures the README and issues quote
	$(PY) benchmarks/run.py

clean: ## delete everything the pipeline regenerates (data/processed, reports)
	find data/processed -mindepth 1 ! -name .gitkeep -delete
	find reports -mindepth 1 ! -name .gitkeep -delete

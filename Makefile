# Pixie: `make run` serves it on embedded defaults, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
DEV_STAMP := $(VENV)/.dev-installed
ASSETS_STAMP := src/pixie/web/static/vendor/.installed

.PHONY: run test install install-dev lint typecheck layers pytest schemathesis bench lock services browser clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Pixie needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -qq --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps -e .
	@touch $@

# The diffusers extra comes too, so that its tests run (about 1.1 GB: torch is most of it).
$(DEV_STAMP): requirements-dev.lock requirements-diffusers.lock pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -qq --disable-pip-version-check -r requirements-dev.lock -r requirements-diffusers.lock
	$(BIN)/pip install -qq --disable-pip-version-check --no-deps -e .
	@touch $@ $(RUN_STAMP)

# The web app's browser assets (htmx), from the npm registry as package-lock.json pins them.
$(ASSETS_STAMP): package.json package-lock.json scripts/web-assets.sh
	scripts/web-assets.sh
	@touch $@

install: $(RUN_STAMP) $(ASSETS_STAMP)
install-dev: $(DEV_STAMP) $(ASSETS_STAMP)

run: install
	$(BIN)/pixie serve --migrate

# pytest runs last so that its summary is the run's final word.
test: install-dev services browser lint typecheck layers schemathesis pytest

services:
	@scripts/services.sh

browser:
	@scripts/debian-package.sh /usr/bin/chromium chromium "the browser tests"

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

layers: install-dev
	$(BIN)/lint-imports

pytest: install-dev
	$(BIN)/pytest

schemathesis: install-dev
	scripts/schemathesis.sh

bench: install-dev services
	@scripts/debian-package.sh wrk wrk "the HTTP benchmarks"
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/verify_credentials.py
	$(BIN)/python bench/media_processing.py
	$(BIN)/python bench/home_timeline.py
	$(BIN)/python bench/fan_out.py
	$(BIN)/python bench/streaming.py
	$(BIN)/python bench/sketch_render.py
	$(BIN)/python bench/provenance_signing.py
	$(BIN)/python bench/generation.py
	$(BIN)/python bench/web_feed.py --backend all
	$(BIN)/python bench/read_path.py --celebrity

lock:
	rm -rf /tmp/pixie-lock && $(PYTHON) -m venv /tmp/pixie-lock
	/tmp/pixie-lock/bin/pip install --quiet -e .
	(echo "# The whole runtime dependency tree, pinned. Regenerate with: make lock"; /tmp/pixie-lock/bin/pip freeze --exclude-editable) > requirements.lock
	/tmp/pixie-lock/bin/pip install --quiet -e ".[dev]"
	(echo "# Runtime and development dependencies, pinned. Regenerate with: make lock"; /tmp/pixie-lock/bin/pip freeze --exclude-editable) > requirements-dev.lock
	/tmp/pixie-lock/bin/pip install --quiet -e ".[dev,diffusers]"
	(sed -n 1,3p requirements-diffusers.lock; /tmp/pixie-lock/bin/pip freeze --exclude-editable \
		| grep -vxFf requirements-dev.lock | sed 's/^torch==\(.*\)+cpu$$/torch==\1/') > requirements-diffusers.lock.new
	mv requirements-diffusers.lock.new requirements-diffusers.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache node_modules src/pixie/web/static/vendor

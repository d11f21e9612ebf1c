# OnAir Studio — `make run` and `make test` do all set-up on a fresh Debian machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen
export PYTHONDONTWRITEBYTECODE = 1

.PHONY: bootstrap system-packages run serve test lint bench screenshots package clean

WHIP_CLIENT := tests/e2e/whip_client/node_modules/whip-whep/whip.js

bootstrap: system-packages $(STAMP) $(WHIP_CLIENT)

system-packages:
	@bash scripts/bootstrap_system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# A third-party WHIP client for the stream-key test, from the npm registry (pinned, locked).
$(WHIP_CLIENT): tests/e2e/whip_client/package.json tests/e2e/whip_client/package-lock.json
	npm ci --prefix tests/e2e/whip_client --no-audit --no-fund
	@touch $(WHIP_CLIENT)

run: bootstrap
	$(VENV)/bin/onair run

serve: bootstrap
	$(VENV)/bin/onair serve --demo

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m pytest --durations=20

bench: bootstrap
	$(VENV)/bin/onair bench

screenshots: bootstrap
	$(PY) scripts/render_effects.py
	$(PY) scripts/screenshots.py
	$(PY) scripts/home_screenshots.py
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) scripts/studio_screenshots.py
	QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1920x1080x24" $(PY) scripts/studio_screenshots.py --size 1280x720 --suffix -1280

# The standalone bundle: dist/onair/ (run dist/onair/onair) and a tarball of it.
package: bootstrap
	$(VENV)/bin/pyinstaller packaging/onair.spec --noconfirm --distpath dist --workpath build/pyinstaller
	dist/onair/onair --version
	tar -czf dist/onair-linux-x86_64.tar.gz -C dist onair
	@du -sh dist/onair dist/onair-linux-x86_64.tar.gz

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

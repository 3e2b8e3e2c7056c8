# Whistle (吹哨). `make dev` serves the whole product; `make test` proves it.
# Both install what they need on a fresh clone (Python venv, node_modules, Chromium, fonts).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
NPM := npm --prefix frontend
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html frontend/vite.config.js

.PHONY: dev test lint typecheck unit integration e2e frontend-test build frontend system-deps \
	bench package deploy smoke lock clean

## dev: serve the SPA, the API and local AWS on http://127.0.0.1:$(PORT) (Ctrl-C stops; data kept)
## (WHISTLE_PROFILE=china make dev: SMS to a local Alibaba Cloud SMS stand-in, mail to an SMTP sink)
dev: $(VENV)/.installed frontend/dist/index.html
	PORT=$(PORT) $(BIN)/whistle dev

## test: lint, type-check, unit, integration (moto), browser (Chromium) and SPA tests
test: $(VENV)/.installed frontend/dist/index.html system-deps
	$(BIN)/ruff check functions tests app.py infra
	$(BIN)/ruff format --check functions tests app.py infra
	$(BIN)/mypy
	$(BIN)/pytest tests/unit tests/integration tests/e2e -n 2 --dist loadfile
	$(NPM) test

lint: $(VENV)/.installed
	$(BIN)/ruff check functions tests app.py infra
	$(BIN)/ruff format --check functions tests app.py infra

typecheck: $(VENV)/.installed
	$(BIN)/mypy

unit: $(VENV)/.installed
	$(BIN)/pytest tests/unit

integration: $(VENV)/.installed
	$(BIN)/pytest tests/integration

e2e: $(VENV)/.installed frontend/dist/index.html system-deps
	$(BIN)/pytest tests/e2e

frontend-test: frontend/node_modules/.installed
	$(NPM) test

$(VENV)/.installed: requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

build frontend: frontend/dist/index.html

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SOURCES)
	$(NPM) run build

## system-deps: Debian's Chromium and a CJK font for browser tests and screenshots
system-deps:
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then \
		exit 0; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing chromium and fonts-wqy-microhei with apt-get…"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei >/dev/null; \
	else \
		echo "Browser tests need Chromium and a CJK font. Install them with:"; \
		echo "  sudo apt-get install chromium fonts-wqy-microhei"; \
		echo "(or run make test as root on Debian/Ubuntu, which installs them itself)."; \
		exit 1; \
	fi

# -- Deployment and benchmarks (infra/, tests/bench/) ---------------------------------------
STAGE ?= prod
# The region the stack goes to; a China region (cn-…) leaves out what the China regions lack.
REGION ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),us-east-1)
BENCH_TOOLS := tests/bench/tools

## package: the Lambda zip and the stage's CloudFormation template in build/$(STAGE)/
package: $(VENV)/.installed
	$(BIN)/python -m infra package --stage $(STAGE) --region $(REGION)

## deploy: preflight, package, deploy it and the SPA with the AWS CLI, then the smoke test
## (make deploy STAGE=prod)
deploy: package frontend/dist/index.html
	STAGE=$(STAGE) REGION=$(REGION) PYTHON=$(BIN)/python infra/deploy.sh
	$(MAKE) --no-print-directory smoke STAGE=$(STAGE) REGION=$(REGION) URL="$$(cat build/$(STAGE)/site-url)"

## smoke: check a running site end to end, changing nothing a clerk would see
## (make smoke URL=https://… STAGE=prod; make smoke URL=http://127.0.0.1:8000 for make dev)
smoke: $(VENV)/.installed
	@test -n "$(URL)" || { echo "say which site: make smoke URL=https://… STAGE=prod"; exit 2; }
	$(BIN)/python -m infra smoke --url "$(URL)" --stage "$(STAGE)" --region "$(REGION)"

## bench: measure the budgets of DESIGN §9 and write BENCHMARKS.md (several minutes)
bench: $(VENV)/.installed frontend/dist/index.html system-deps $(BENCH_TOOLS)/node_modules/.installed
	$(BIN)/python -m tests.bench

$(BENCH_TOOLS)/node_modules/.installed: $(BENCH_TOOLS)/package.json $(BENCH_TOOLS)/package-lock.json
	cd $(BENCH_TOOLS) && npm ci --no-audit --no-fund
	touch $@

## lock: re-pin requirements.txt (Lambda-only) and requirements-dev.txt from their sources
lock: $(VENV)/.installed
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-annotate --no-emit-index-url \
		--no-emit-find-links -o requirements.lambda.tmp requirements.in
	grep -v -E '^(boto3|botocore|s3transfer|jmespath|python-dateutil|six|urllib3)==' \
		requirements.lambda.tmp > requirements.txt && rm requirements.lambda.tmp
	$(BIN)/pip-compile --quiet --strip-extras --no-header --no-annotate --no-emit-index-url \
		--no-emit-find-links --extra dev -o requirements-dev.txt pyproject.toml

clean:
	rm -rf frontend/dist build dist .pytest_cache .mypy_cache .ruff_cache

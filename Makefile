# The two commands of the README:
#   make cycle   the whole patch cycle, locally, against moto and the Image Builder stand-in
#   make test    every check CI runs
# Both install what they need first (npm packages, the Node the actions run on, the Python tools in
# .venv, actionlint, php-cli; make test also Chromium and cmark-gfm for the render check).
SHELL := /bin/bash
include tools/versions.env

VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: bootstrap doctor teardown setup action-node render-tools cycle test typecheck lint unit contract integration build check-dist lint-templates lint-workflows bench clean

setup: node_modules/.installed action-node $(VENV)/.installed $(VENV)/bin/actionlint php

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The bundles run on the Node that their action.yml's runs.using names (node24), as on a runner, not
# on the Node that runs jest and the cycle (local/action-node.ts finds it). npm serves the official
# binary per platform as node-<os>-<cpu>, a package with the binary inside and no install script.
# The version is in the path, so changing ACTION_NODE_VERSION installs the new one.
ACTION_NODE_DIR := .local/action-node/$(ACTION_NODE_VERSION)
ACTION_NODE_BIN := $(ACTION_NODE_DIR)/node_modules/.bin/node
ifdef ACTION_NODE
# A binary of your own (a platform npm has no package for); local/action-node.ts checks its major version.
action-node:
	@echo "The bundles run on ACTION_NODE=$(ACTION_NODE)"
else
action-node: $(ACTION_NODE_BIN)
endif
$(ACTION_NODE_BIN):
	npm install --prefix $(ACTION_NODE_DIR) --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
	  "node-$$(node -p 'process.platform + "-" + process.arch')@$(ACTION_NODE_VERSION)" \
	  || { echo "Could not install Node $(ACTION_NODE_VERSION) for running the bundles from npm (see above; npm publishes it for linux-x64 and linux-arm64). Or install a Node $(firstword $(subst ., ,$(ACTION_NODE_VERSION))).x yourself and set ACTION_NODE=/path/to/node" >&2; exit 1; }
	@test "$$($@ --version)" = "v$(ACTION_NODE_VERSION)" || { echo "$@ is not Node v$(ACTION_NODE_VERSION): delete $(ACTION_NODE_DIR) and run make setup again" >&2; exit 1; }

$(VENV)/.installed: requirements-dev.txt
	@echo "Installing the Python tools (moto, cfn-lint, checkov, zizmor; requirements-dev.txt) into $(VENV)."
	@echo "pip runs quietly: a minute or two the first time (longer on a slow network), seconds after that."
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	@touch $@

# actionlint is a Go program; the Go module proxy is the registry that serves it.
$(VENV)/bin/actionlint: tools/versions.env | $(VENV)/.installed
	@echo "Building actionlint $(ACTIONLINT_VERSION) from the Go module proxy: under a minute the first time."
	GOBIN=$(CURDIR)/$(VENV)/bin go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# php-cli serves the details page the app template ships, for its contract test (DESIGN.md §3.3).
php:
	@command -v php >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq php-cli >/dev/null; \
	  else echo "php-cli is missing: install it (sudo apt-get install php-cli) for the details-page contract test" >&2; exit 1; fi; }

# The render check (test/support/browser-render.ts) renders Markdown as github.com does, with
# cmark-gfm (GitHub's own parser), and draws its charts in headless Chromium, both from Debian's
# packages. A Chrome already installed (GitHub's Ubuntu runners ship one) is used instead
# (CHROMIUM=/path/to/chrome overrides). Root installs them; otherwise sudo, when it asks no
# password. local/render-tools.sh says how, and test/contract/render-tools.test.ts tests each way.
render-tools:
	@bash local/render-tools.sh

cycle: setup
	npm run --silent cycle

test: setup render-tools typecheck lint check-dist lint-templates lint-workflows
	@mkdir -p .local
	npx jest --ci --json --outputFile=.local/jest-results.json || { node local/test-summary.mjs .local/jest-results.json; exit 1; }
	@node local/test-summary.mjs .local/jest-results.json

typecheck: node_modules/.installed
	npm run --silent typecheck

lint: node_modules/.installed
	npm run --silent lint

build: node_modules/.installed
	npm run --silent build

# The committed bundles must be what the sources build (STYLE.md "dist").
check-dist: build
	@git diff --exit-code --stat -- ':(glob)actions/*/dist/**' || { echo "actions/*/dist is stale: run 'make build' and commit the result" >&2; exit 1; }

lint-templates: $(VENV)/.installed
	cfn-lint templates/*.yaml
	checkov --quiet --compact --framework cloudformation -d templates

lint-workflows: $(VENV)/.installed $(VENV)/bin/actionlint
	actionlint
	zizmor --offline .github/workflows

# Putting the project on an AWS account and a GitHub repository (docs/templates.md#bootstrap):
#   make bootstrap ENV=dev [ARGS="--github --yes"]   make doctor ENV=dev   make teardown ENV=dev
bootstrap doctor teardown: node_modules/.installed
	@test -n "$(ENV)" || { echo "usage: make $@ ENV=<environment> [ARGS='...']" >&2; exit 2; }
	npm run --silent $@ -- --env $(ENV) $(ARGS)

bench: node_modules/.installed
	npm run --silent bench

clean:
	rm -rf node_modules $(VENV) .local

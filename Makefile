# Two commands (see README):
#   make        set everything up, then run the whole workflow: raw data -> rendered report
#   make test   set everything up (Debian packages the tests need included), then run the tests
# On a Slurm cluster (README, "On a cluster"):
#   make slurm        the whole workflow through the Slurm executor (profiles/slurm)
#   make test-slurm   start a one-node Slurm on this machine, run the tests marked slurm, stop it
# `make help` lists every target: the text after `## ` on its line.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORES ?= all
# One line per job (the rule's message: which stage, which edition or figure) and the progress; no
# host banner and no rerun reasons. Errors are shown in full, with the log file of the failed job.
# (--quiet takes several values: it comes first, so that a target after the options is not one of them.)
SNAKEMAKE := $(BIN)/snakemake --quiet host reason --cores $(CORES) --rerun-incomplete
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages used only by the tests: R's survey package (the oracle), headless Chromium
# (the report is opened as a reader would) and pdftoppm (PDF pages to images).
DEBIAN_TEST_PACKAGES := r-cran-survey chromium poppler-utils

.PHONY: all help run slurm test test-slurm test-fast verify provenance unlock reconstruct bench bench-full lock report-images system-deps clean-results

all: run ## (the default: `make`) the same as make run

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | expand -t 16

$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required, found " + sys.version)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

run: $(VENV)/.installed ## set up .venv/ and run the whole workflow: raw data -> results/report/
	$(SNAKEMAKE)

# Snakemake's Slurm executor plugin on top of the default install (the slurm extra, pinned with the
# same versions of everything else in requirements-slurm.lock)
$(VENV)/.installed-slurm: $(VENV)/.installed requirements-slurm.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-slurm.lock
	touch $@

# On the cluster this machine submits to. Account, partition, a lower --cores: SLURM_ARGS="..." or the
# profile (profiles/slurm/config.yaml).
SLURM_ARGS ?=
slurm: $(VENV)/.installed-slurm ## the whole workflow through Slurm (profiles/slurm; SLURM_ARGS for account, partition)
	$(BIN)/snakemake --workflow-profile profiles/slurm $(SLURM_ARGS)

test: $(VENV)/.installed system-deps ## set up (Debian packages included) and run every test (what CI runs)
	$(BIN)/python -m pytest

# A real one-node Slurm on this machine (.ci/slurm-cluster.sh, installs slurm-wlm and munge when
# missing); it is stopped whatever the tests do.
test-slurm: $(VENV)/.installed-slurm ## start a one-node Slurm here, run the tests marked slurm, stop it
	trap '.ci/slurm-cluster.sh stop' EXIT; \
	.ci/slurm-cluster.sh start && \
	SLURM_CONF="$$(.ci/slurm-cluster.sh conf)" BAROMETER_REQUIRE_SLURM=1 $(BIN)/python -m pytest -m slurm

# The quick part of the suite: everything except the tests that run the whole workflow.
test-fast: $(VENV)/.installed ## the tests that do not run the whole workflow
	$(BIN)/python -m pytest -m "not slow"

verify: $(VENV)/.installed ## recompute every checksum of results/manifest.csv and list any difference
	$(BIN)/barometer verify results/manifest.csv

# Snakemake's provenance report of the completed run (it runs the workflow first if needed).
provenance: run ## Snakemake's provenance report of the run: results/report/provenance.html
	$(BIN)/snakemake --report results/report/provenance.html

unlock: $(VENV)/.installed ## after a hard crash (kill -9, power loss): release Snakemake's lock
	$(BIN)/snakemake --unlock

# Regenerates the bundled (reconstructed) microdata; not part of the default target.
reconstruct: $(VENV)/.installed ## regenerate the bundled (reconstructed) microdata
	$(SNAKEMAKE) reconstruct

bench: $(VENV)/.installed ## the benchmarks (bench/README.md)
	$(BIN)/python bench/run_all.py

# requirements.lock: the default install (every extra but slurm); requirements-slurm.lock: the runtime
# dependencies and the slurm extra, constrained to the versions of requirements.lock
lock: $(VENV)/.installed ## re-pin requirements.lock, requirements-slurm.lock and envs/barometer.yaml
	$(BIN)/pip-compile --quiet --extra test --extra bench --extra dev --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --extra slurm --constraint requirements.lock --strip-extras --allow-unsafe --no-emit-index-url \
	  --no-emit-find-links --output-file requirements-slurm.lock pyproject.toml
	$(BIN)/python -m barometer.envfile requirements.lock envs/barometer.yaml

system-deps: ## install the Debian packages the tests use (R survey, Chromium, poppler)
	@if ! command -v Rscript >/dev/null || ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null \
	   || ! Rscript -e 'suppressMessages(library(survey))' >/dev/null 2>&1; then \
	  echo "Installing Debian packages for the tests: $(DEBIAN_TEST_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(DEBIAN_TEST_PACKAGES); \
	fi

clean-results: ## delete the workflow's outputs
	rm -rf results/2* results/cross_survey results/longitudinal results/report results/manifest.csv results/.provenance .snakemake/incomplete

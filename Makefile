# biomero-worker — build, test and benchmark the BIOMERO worker image.
# `make help` lists the targets; each one's inputs are declared so that an
# unchanged tree rebuilds nothing. Topic rules live in mk/*.mk.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# ---- shared variables: defined before any fragment uses them -------------------
# The build's inputs (image names, base tag, bioformats2raw pin) have one owner,
# build.env, which the scripts and the tests read too. Command-line overrides win.
include build.env
VERSION := $(shell cat VERSION)
BUILD_DIR := .build
# Host Python used only to create the tooling venv; every tool runs from the venv.
PYTHON ?= python3
VENV ?= .venv
VENV_STAMP := $(VENV)/.installed
# The base image every image is built FROM (make base makes the local one).
BASE_IMAGE ?= $(LOCAL_BASE_IMAGE)

export TESTCONTAINERS_RYUK_DISABLED := true

include mk/*.mk

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.\/-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST) | sort

# Every suite runs in one pytest run. Each mk/*.mk fragment adds what its
# tests need built first to TEST_PREREQS (expanded here, after the includes).
# They are built side by side: the zeroc-ice compile keeps the cores busy for
# minutes while the stack's images download and install their packages.
# The tests then run in TEST_JOBS pytest-xdist workers, a test file to a worker
# (module fixtures start once), each worker with a stack of its own: most of a
# test is waiting for containers, so four share two cores well
# (bench/results/ci.md). Files are handed out in collection order, which
# tests/conftest.py starts with the longest (xdist would otherwise put the files
# with the most tests first). TEST_JOBS=0 runs them in one process.
TEST_JOBS ?= 4
.PHONY: test
test: ## Run every test suite (unit, image, stack, worker, deploy) in TEST_JOBS workers
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(VENV_STAMP) $(TEST_PREREQS)
	$(VENV)/bin/pytest -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# Benchmarks: each mk/*.mk fragment adds its bench-<topic> target to BENCH_TARGETS;
# each writes its figures and the commands that produced them under bench/results/.
.PHONY: bench
bench: $(BENCH_TARGETS) ## Run every benchmark; figures land in bench/results/

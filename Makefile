# biomero-worker — build, test and benchmark the BIOMERO worker image.
# `make help` lists the targets; each one's inputs are declared so that an
# unchanged tree rebuilds nothing. Topic rules live in mk/*.mk.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

VERSION := $(shell cat VERSION)
# Host Python used only to create the tooling venv.
PYTHON ?= python3
VENV ?= .venv
BUILD_DIR := .build

export TESTCONTAINERS_RYUK_DISABLED := true

include mk/*.mk

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.\/-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST) | sort

# Every suite runs in one pytest session. Each mk/*.mk fragment adds what its
# tests need built first to TEST_PREREQS (expanded here, after the includes).
.PHONY: test
test: $(VENV_STAMP) $(TEST_PREREQS) ## Run every test suite (unit, image, stack, worker)
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Benchmarks: each mk/*.mk fragment adds its bench-<topic> target to BENCH_TARGETS;
# each writes its figures and the commands that produced them under bench/results/.
.PHONY: bench
bench: $(BENCH_TARGETS) ## Run every benchmark; figures land in bench/results/

# The worker image (issue 3): docker/Dockerfile built by docker/build-image.sh,
# which keys the build on a hash of its declared inputs (stamp in .build/ plus
# the image's inputs-hash label): an unchanged tree does no docker work.

# IMAGE, BIOFORMATS2RAW_VERSION/_SHA256: build.env.
# auto: include bioformats2raw when the archive can be had | required | none
BIOFORMATS2RAW ?= auto
# A local bioformats2raw zip standing in for the download (sha256-checked).
BIOFORMATS2RAW_ARCHIVE ?=
# CA bundle trusted by HTTPS steps of the build (a BuildKit secret, never a layer).
BUILD_CA ?= /etc/ssl/certs/ca-certificates.crt

IMAGE_ENV = IMAGE='$(IMAGE)' VERSION='$(VERSION)' VARIANT_TAG='$(VARIANT_TAG)' BASE_IMAGE='$(BASE_IMAGE)' \
  OMERO_UID='$(OMERO_UID)' OMERO_GID='$(OMERO_GID)' LOCKS='$(or $(VARIANT_LOCKS),docker)' \
  BIOFORMATS2RAW='$(BIOFORMATS2RAW)' BIOFORMATS2RAW_ARCHIVE='$(BIOFORMATS2RAW_ARCHIVE)' \
  BUILD_CA='$(BUILD_CA)' BUILD_DIR='$(BUILD_DIR)'

.PHONY: image
image: base ## Build the worker image (IMAGE:VERSION and :latest; BIOMERO_VERSION=x.y.z: IMAGE:VERSION-biomerox.y.z) (no-op when inputs are unchanged)
	@$(IMAGE_ENV) TARGET=runtime docker/build-image.sh

TEST_PREREQS += image

# ---- the hash-pinned locks -------------------------------------------------
# Resolved inside the build environment's container (the image's Debian Python
# 3.11, pip-tools pinned here): no Python needed on the host (docker/lock.sh).
PIP_TOOLS_VERSION := 7.6.2
BUILD_ENV_IMAGE = $(IMAGE)-build-env:$(VERSION)
LOCK_RUN = docker run --rm --user "$$(id -u):$$(id -g)" -e HOME=/tmp \
  -v '$(CURDIR):/src' -w /src -e PIP_TOOLS_VERSION='$(PIP_TOOLS_VERSION)' \
  -e LOCK_FLAGS='$(LOCK_FLAGS)' \
  $(if $(wildcard $(BUILD_CA)),-v '$(abspath $(BUILD_CA)):/run/secrets/ca:ro' -e PIP_CERT=/run/secrets/ca) \
  $(BUILD_ENV_IMAGE) bash docker/lock.sh

.PHONY: build-env
build-env: base ## Build the build environment's image (compilers, Python 3.11: make lock runs there)
	@$(IMAGE_ENV) IMAGE='$(IMAGE)-build-env' LOCKS=docker VARIANT_TAG= TARGET=build-env docker/build-image.sh

.PHONY: lock lock-upgrade
lock: build-env ## Re-resolve docker/*.in into the hash-pinned docker/*.lock (keeps pins), in a container (BIOMERO_VERSION=x.y.z: that release's locks)
	$(LOCK_RUN) $(LOCK_ARGS)

lock-upgrade: LOCK_FLAGS = --upgrade
lock-upgrade: lock ## Re-resolve the locks to the newest versions the .in files allow

# `make image BIOMERO_VERSION=x.y.z`: the image with another biomero release, from
# locks resolved for it (docker/locks/biomero-x.y.z/: what that release requires plus
# docker/worker-requirements.in, made once, in the container; committed to keep that
# build reproducible; `make lock BIOMERO_VERSION=x.y.z` re-resolves them), tagged
# IMAGE:VERSION-biomerox.y.z only, which the suites then test (WORKER_IMAGE below).
# Empty or the locked release: the default locks and tags.
BIOMERO_VERSION ?=
LOCKED_BIOMERO := $(shell sed -nE 's/^biomero==([^ ]+).*/\1/p' docker/requirements.lock)
ifneq ($(filter-out $(LOCKED_BIOMERO),$(BIOMERO_VERSION)),)
VARIANT_LOCKS := docker/locks/biomero-$(BIOMERO_VERSION)
VARIANT_TAG := $(VERSION)-biomero$(BIOMERO_VERSION)
image: $(VARIANT_LOCKS)/requirements.lock
# Only when missing (a clean clone's file times say nothing about which is newer).
$(VARIANT_LOCKS)/requirements.lock: | build-env
	$(LOCK_RUN) $(VARIANT_LOCKS) $(BIOMERO_VERSION)
lock: LOCK_ARGS = $(VARIANT_LOCKS) $(BIOMERO_VERSION)
# `make test BIOMERO_VERSION=x.y.z`: the suites that run the image (image, worker,
# end-to-end workflow) against that release's image. The build script's and the
# host-only suites do not depend on the release: the default run has them.
PYTEST_ARGS ?= tests/image tests/worker tests/workflow --ignore=tests/image/test_build_script.py
endif
LOCK_ARGS ?= docker

# ---- the scripts the worker runs (for the image tests) ------------------------
SCRIPT_SOURCES := $(BUILD_DIR)/script-sources
$(SCRIPT_SOURCES)/.fetched: docker/script-sources.lock
	@rm -rf $(@D) && mkdir -p $(@D)
	PIP_CERT='$(BUILD_CA)' $(PYTHON) -m pip download --quiet --no-deps --require-hashes \
	  -r docker/script-sources.lock -d $(@D)
	touch $@

.PHONY: script-sources
script-sources: $(SCRIPT_SOURCES)/.fetched ## Fetch the hash-pinned wheels of OMERO's and OMERO.figure's scripts (for the tests)

TEST_PREREQS += script-sources

# ---- what biomero reads ------------------------------------------------------
# config_merge's validator knows what biomero's from_config reads from this file,
# which the image's biomero writes itself (an image test fails when it is stale).
# Per release: another release's copy lives with its locks, and its image's
# validator uses that copy (docker/Dockerfile, tools-wheel stage).
BIOMERO_READS = $(if $(VARIANT_LOCKS),$(VARIANT_LOCKS),src/config_merge)/biomero_reads.json
.PHONY: biomero-reads
biomero-reads: image ## Regenerate src/config_merge/biomero_reads.json (BIOMERO_VERSION=x.y.z: that release's) from the image's biomero
	docker run --rm --entrypoint python $(WORKER_IMAGE) -m biomero_worker biomero-reads \
	  > $(BIOMERO_READS).part
	mv $(BIOMERO_READS).part $(BIOMERO_READS)

# ---- benchmark ---------------------------------------------------------------
.PHONY: bench-image
bench-image: base $(VENV_STAMP) ## Image sizes, one-stage comparison, cold/no-op/config-only build times
	@$(IMAGE_ENV) VENV='$(VENV)' bench/image.sh

BENCH_TARGETS += bench-image

# The tag the image tests (tests/image/fixtures.py) and other suites run: the
# variant's with BIOMERO_VERSION (`make test BIOMERO_VERSION=x.y.z`).
WORKER_IMAGE ?= $(IMAGE):$(or $(VARIANT_TAG),$(VERSION))
export WORKER_IMAGE

.PHONY: bench-reproducible
bench-reproducible: base $(VENV_STAMP) ## Two builds of the runtime stage: same SBOM, same file manifest?
	@$(IMAGE_ENV) VENV='$(VENV)' bench/reproducible.sh

BENCH_TARGETS += bench-reproducible

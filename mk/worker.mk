# The worker at run time (startup.d, src/biomero_worker).
# Its tests (tests/worker) need the image and the stack images, which mk/image.mk
# and mk/stack.mk already add to TEST_PREREQS.

# The start-up is measured beside an earlier build's, in the same run: BENCH_BASELINE
# (a commit; default: the last one before the preparation became one process) is
# checked out in $(BUILD_DIR)/baseline and built there (the layers it shares with
# this build come from the cache), tagged $(IMAGE)-baseline:<commit>.
BENCH_BASELINE ?= 655b057
BASELINE_DIR = $(BUILD_DIR)/baseline
BASELINE_IMAGE = $(IMAGE)-baseline:$(BENCH_BASELINE)

.PHONY: bench-worker baseline-image
baseline-image: base
	@if [ "$$(git -C $(BASELINE_DIR) rev-parse HEAD 2>/dev/null)" != "$$(git rev-parse $(BENCH_BASELINE))" ]; then \
	  git worktree remove --force $(BASELINE_DIR) 2>/dev/null || rm -rf $(BASELINE_DIR); \
	  git worktree prune; git worktree add --detach $(BASELINE_DIR) $(BENCH_BASELINE); fi
	cd $(BASELINE_DIR) && IMAGE='$(IMAGE)-baseline' VERSION='$(BENCH_BASELINE)' \
	  BASE_IMAGE='$(BASE_IMAGE)' BUILD_CA='$(BUILD_CA)' TARGET=runtime \
	  docker/build-image.sh

bench-worker: $(VENV_STAMP) image baseline-image $(STACK_STAMPS) ## Worker start-up (beside BENCH_BASELINE's build), doctor and script-hook cost -> bench/results/worker.md
	$(VENV)/bin/python -m bench.worker --runs 3 --out bench/results/worker.md \
	  --baseline $(BASELINE_IMAGE)

BENCH_TARGETS += bench-worker

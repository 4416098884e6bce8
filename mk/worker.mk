# The worker at run time (startup.d, src/biomero_worker).
# Its tests (tests/worker) need the image and the stack images, which mk/image.mk
# and mk/stack.mk already add to TEST_PREREQS.

.PHONY: bench-worker
bench-worker: $(VENV_STAMP) image $(STACK_STAMPS) ## Worker start-up, doctor and script-hook cost -> bench/results/worker.md
	$(VENV)/bin/python -m bench.worker --runs 3 --out bench/results/worker.md

BENCH_TARGETS += bench-worker

# config_merge: the layered slurm-config engine (src/config_merge).

.PHONY: test-unit
test-unit: $(VENV_STAMP) ## Run the unit tests only (config_merge; no Docker)
	$(VENV)/bin/pytest tests/unit

# A measurement, so it always runs; it fails if the CLI takes 2 s or more.
.PHONY: bench-merge
bench-merge: $(VENV_STAMP) ## Time merging 50 layers x 2,000 keys (target < 2 s)
	$(VENV)/bin/python bench/bench_merge.py --layers 50 --keys 2000 --runs 5 --markdown bench/results/merge.md

BENCH_TARGETS += bench-merge

# The worker's main job, end to end (tests/workflow): one BIOMERO workflow through
# the worker on the test stack. Its tests run in `make test` (tests/workflow);
# `demo` narrates one run, `bench-workflow` times where a run's time goes.

.PHONY: demo
demo: $(VENV_STAMP) image $(STACK_STAMPS) ## Run one BIOMERO workflow through the worker on the test cluster, narrated (exit 0 if it completed)
	$(VENV)/bin/python -m tests.workflow.demo

.PHONY: bench-workflow
bench-workflow: $(VENV_STAMP) image $(STACK_STAMPS) ## One workflow's time split: SSH, SFTP, biomero's sleeps, Slurm queue/run -> bench/results/workflow.md
	$(VENV)/bin/python -m bench.workflow --runs 3 --out bench/results/workflow.md

BENCH_TARGETS += bench-workflow

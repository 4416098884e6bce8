# The test stack: PostgreSQL, a Slurm cluster behind SSH, an IceGrid registry
# and a stand-in for github.com, as images built here FROM $(BASE_IMAGE) (no
# registry is reachable) and started by the pytest fixtures in tests/stack/ (or
# by hand: stack-up).
# One service per image directory (tests/stack/images/<service>, with its module
# tests/stack/services/<service>.py): the directories are the list.
STACK_SERVICES := $(notdir $(patsubst %/Dockerfile,%,$(wildcard tests/stack/images/*/Dockerfile)))
# STACK_IMAGE_PREFIX, STACK_IMAGE_TAG: build.env.
STACK_STAMP_DIR := $(BUILD_DIR)/stack
STACK_STAMPS := $(STACK_SERVICES:%=$(STACK_STAMP_DIR)/%.stamp)
# The Docker engine has no buildx: the legacy builder is enough for these files.
STACK_DOCKER_BUILD := DOCKER_BUILDKIT=0 docker build

# A stamp is stale when any file of its build context changed, or when its
# image is gone from the engine (one `docker image ls` per make run).
_stack_present := $(shell docker image ls --format '{{.Repository}}:{{.Tag}}' '$(STACK_IMAGE_PREFIX)*' 2>/dev/null)

define _stack_image_rule
$(STACK_STAMP_DIR)/$(1).stamp: tests/stack/images/$(1) $(wildcard tests/stack/images/$(1)/*) \
    $(if $(filter $(STACK_IMAGE_PREFIX)$(1):$(STACK_IMAGE_TAG),$(_stack_present)),,_stack-image-missing) | base
	@mkdir -p $$(@D)
	$(STACK_DOCKER_BUILD) --build-arg BASE_IMAGE=$(BASE_IMAGE) \
	  -t $(STACK_IMAGE_PREFIX)$(1):$(STACK_IMAGE_TAG) tests/stack/images/$(1)
	docker image inspect -f '{{.Id}}' $(STACK_IMAGE_PREFIX)$(1):$(STACK_IMAGE_TAG) > $$@
endef
$(foreach s,$(STACK_SERVICES),$(eval $(call _stack_image_rule,$(s))))

.PHONY: _stack-image-missing
_stack-image-missing:

.PHONY: stack-images
stack-images: $(STACK_STAMPS) ## Build the test stack's images (PostgreSQL, Slurm, IceGrid, github.com stand-in)

.PHONY: stack-up
stack-up: $(VENV_STAMP) $(STACK_STAMPS) ## Start the test stack by hand; prints how to reach each service
	$(VENV)/bin/python -m tests.stack.manual up

.PHONY: stack-down
stack-down: $(VENV_STAMP) ## Stop and remove the stack started by stack-up
	$(VENV)/bin/python -m tests.stack.manual down

.PHONY: bench-stack
bench-stack: $(VENV_STAMP) $(STACK_STAMPS) ## Cold-start time of the whole stack -> bench/results/stack.md
	$(VENV)/bin/python -m tests.stack.manual bench --runs 3 --out bench/results/stack.md

TEST_PREREQS += $(STACK_STAMPS)
BENCH_TARGETS += bench-stack

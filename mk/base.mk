# The Debian base image, made here from Debian packages: no registry needed.
# A deployer with a registry can pass BASE_IMAGE=debian:bookworm-slim instead.
# LOCAL_BASE_IMAGE, DEBIAN_SUITE: build.env.

.PHONY: base
base: ## Build the local Debian base image (DEBIAN_SUITE in build.env) (once; reused after)
ifeq ($(BASE_IMAGE),$(LOCAL_BASE_IMAGE))
	@docker image inspect $(LOCAL_BASE_IMAGE) >/dev/null 2>&1 \
	  || docker/base/make-base.sh $(LOCAL_BASE_IMAGE) $(DEBIAN_SUITE)
else
	@echo "using BASE_IMAGE=$(BASE_IMAGE) (not built here)"
endif

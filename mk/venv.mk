# The tooling venv: the project installed editable plus the test dependencies.
$(VENV_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

.PHONY: venv
venv: $(VENV_STAMP) ## Create the tooling venv (.venv) with test dependencies

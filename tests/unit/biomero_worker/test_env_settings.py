"""Wait bounds from the environment (BIOMERO_DB_WAIT_SECONDS,
OMERO_RESOLVE_WAIT_SECONDS): finite, positive seconds, or a clear error."""

import pytest

from biomero_worker import env_settings


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan", "0", "-5", "1e12", "soon", "1,5"])
def test_unusable_values_are_errors_naming_the_variable(raw):
    with pytest.raises(env_settings.SettingError, match=f"BIOMERO_DB_WAIT_SECONDS={raw!r}"):
        env_settings.seconds("BIOMERO_DB_WAIT_SECONDS", 60, {"BIOMERO_DB_WAIT_SECONDS": raw})


@pytest.mark.parametrize("raw, value", [("", 60.0), ("2", 2.0), (" 0.5 ", 0.5), ("3600", 3600.0)])
def test_usable_values_and_the_default(raw, value):
    assert env_settings.seconds("BIOMERO_DB_WAIT_SECONDS", 60, {"BIOMERO_DB_WAIT_SECONDS": raw}) \
        == value

"""VAR_FILE for the secret-bearing variables (biomero_worker.file_env), with
docker-library's file_env rules; the real mount is exercised in tests/worker
(test_a_worker_given_only_sqlalchemy_url_file_reaches_its_database) and by
deploy/compose.yaml's Compose secrets (tests/deploy)."""

from __future__ import annotations

import os
import re

import pytest

from biomero_worker import cli, file_env, script_env

URL = "postgresql+psycopg2://biomero:S3cretPw@database:5432/biomero"


def secret(tmp_path, text, name="url"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_file_gives_the_value_without_its_trailing_newline(tmp_path):
    env = {"SQLALCHEMY_URL_FILE": secret(tmp_path, URL + "\n")}
    file_env.apply(env)
    assert env == {"SQLALCHEMY_URL": URL}


def test_crlf_and_several_trailing_newlines_are_not_part_of_the_value(tmp_path):
    env = {"OMERO_ICEGRID_ADMIN_PASSWORD_FILE": secret(tmp_path, "pw\r\n\n")}
    assert file_env.resolved(env) == {"OMERO_ICEGRID_ADMIN_PASSWORD": "pw"}


def test_the_plain_variable_still_works():
    assert file_env.resolved({"SQLALCHEMY_URL": URL}) == {"SQLALCHEMY_URL": URL}


def test_both_set_is_an_error_naming_both_and_not_the_value(tmp_path):
    env = {"SQLALCHEMY_URL": URL, "SQLALCHEMY_URL_FILE": secret(tmp_path, URL)}
    with pytest.raises(file_env.SecretFileError) as err:
        file_env.apply(env)
    assert "SQLALCHEMY_URL and SQLALCHEMY_URL_FILE" in str(err.value)
    assert "S3cretPw" not in str(err.value)


def test_a_missing_file_names_the_variable_and_the_path(tmp_path):
    missing = str(tmp_path / "nope")
    with pytest.raises(file_env.SecretFileError, match=r"INGEST_TRACKING_DB_URL_FILE=.*nope: "
                                                       r"no such file"):
        file_env.resolved({"INGEST_TRACKING_DB_URL_FILE": missing})


def test_a_directory_mounted_where_the_file_belongs_names_the_likely_cause(tmp_path):
    with pytest.raises(file_env.SecretFileError, match="create the file on the host"):
        file_env.resolved({"SQLALCHEMY_URL_FILE": str(tmp_path)})


@pytest.mark.parametrize("text, why", [("", "is empty"), ("a\nb\n", "more than one line"),
                                       ("x" * (file_env.MAX_BYTES + 1), "more than")])
def test_unusable_contents_are_refused_without_quoting_them(tmp_path, text, why):
    with pytest.raises(file_env.SecretFileError, match=why) as err:
        file_env.resolved({"SQLALCHEMY_URL_FILE": secret(tmp_path, text)})
    assert "a\nb" not in str(err.value)


def test_every_problem_is_named_at_once(tmp_path):
    env = {"SQLALCHEMY_URL_FILE": str(tmp_path / "a"),
           "OMERO_ICEGRID_ADMIN_PASSWORD": "x", "OMERO_ICEGRID_ADMIN_PASSWORD_FILE": "/y"}
    with pytest.raises(file_env.SecretFileError) as err:
        file_env.resolved(env)
    assert "SQLALCHEMY_URL_FILE" in str(err.value)
    assert "OMERO_ICEGRID_ADMIN_PASSWORD and" in str(err.value)


def test_scripts_get_the_value_not_the_file_name(tmp_path):
    env = {"SQLALCHEMY_URL_FILE": secret(tmp_path, URL + "\n"), "PATH": "/bin"}
    chosen = script_env.select(env)
    assert chosen["SQLALCHEMY_URL"] == URL
    assert "SQLALCHEMY_URL_FILE" not in chosen
    assert "SQLALCHEMY_URL_FILE" in env  # the caller's mapping is left alone


def test_a_command_stops_with_the_message_when_a_secret_file_is_unusable(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SQLALCHEMY_URL_FILE", str(tmp_path / "absent"))
    monkeypatch.setenv("SQLALCHEMY_URL", "")  # so that the undo removes what main() sets
    monkeypatch.delenv("SQLALCHEMY_URL")
    assert cli.main(["paths"]) == 2
    assert "SQLALCHEMY_URL_FILE" in capsys.readouterr().err


def test_a_command_sees_the_value(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SQLALCHEMY_URL_FILE", secret(tmp_path, URL + "\n"))
    monkeypatch.setenv("SQLALCHEMY_URL", "")  # so that the undo removes what main() sets
    monkeypatch.delenv("SQLALCHEMY_URL")
    assert cli.main(["paths"]) == 0
    assert os.environ["SQLALCHEMY_URL"] == URL
    assert "SQLALCHEMY_URL_FILE" not in os.environ


def test_the_variables_table_names_every_file_variable():
    from tests.support.build_env import REPO

    table = (REPO / "startup.d" / "README.md").read_text()
    row = next(ln for ln in table.splitlines() if "_FILE`" in ln)
    named = row.split("|")[1]  # the table's first column
    assert sorted(v[:-len("_FILE")] for v in re.findall(r"`(\w+_FILE)`", named)) \
        == sorted(file_env.SECRET_VARS)

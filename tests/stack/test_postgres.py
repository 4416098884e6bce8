"""PostgreSQL 15 with the fixture's database, owner and password."""

import secrets

import psycopg
import pytest

from tests.support.docker_exec import docker


def test_a_client_creates_a_table_and_reads_it_back(postgres):
    table = f"t_{secrets.token_hex(4)}"
    with postgres.connect() as conn:
        conn.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, name text NOT NULL)")
        conn.execute(f"INSERT INTO {table} (name) VALUES (%s), (%s)", ("alpha", "beta"))
        conn.commit()
    with psycopg.connect(postgres.url) as conn:
        rows = conn.execute(f"SELECT id, name FROM {table} ORDER BY id").fetchall()
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = %s",
                             (table,)).fetchone()
    assert rows == [(1, "alpha"), (2, "beta")]
    assert owner == (postgres.user,)


def test_a_wrong_password_is_refused(postgres):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres.url.replace(postgres.password, "wrong" + postgres.password),
                        connect_timeout=5)


def test_the_in_network_url_names_the_alias_and_the_driver_the_worker_uses(postgres):
    assert postgres.sqlalchemy_url == (
        f"postgresql+psycopg2://{postgres.user}:{postgres.password}@database:5432/{postgres.db}")
    assert postgres.password not in repr(postgres)


def test_the_password_is_not_logged_nor_in_the_environment(postgres, stack):
    container = stack.docker.containers.get(postgres.container)
    assert postgres.password not in container.logs().decode()
    assert postgres.password not in " ".join(container.attrs["Config"]["Env"])


def test_the_image_carries_no_private_key(postgres, stack):
    image = stack.docker.containers.get(postgres.container).image.id
    found = docker("run", "--rm", "--entrypoint", "grep", image, "-rls", "PRIVATE KEY",
                   "/etc/ssl", check=False)
    assert (found.returncode, found.stdout) == (1, "")  # 1: searched, nothing found

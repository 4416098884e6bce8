"""PostgreSQL 15: in-network ``database:5432``; from the host on ``host_port``.
Database, owner and password are made per stack (secrets copied in before start)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from tests.stack.container import HOST_ADDRESS
from tests.support.build_env import stack_image
from tests.support.wait import wait_until

FIXTURE = "postgres"
ALIAS = "database"
PORT = 5432


@dataclass(frozen=True)
class Postgres:
    db: str
    user: str
    password: str = field(repr=False)
    host_port: int
    container: str
    host: str = ALIAS
    port: int = PORT

    @property
    def url(self) -> str:
        """libpq URL reachable from the machine running the tests."""
        return f"postgresql://{self.user}:{self.password}@{HOST_ADDRESS}:{self.host_port}/{self.db}"

    @property
    def sqlalchemy_url(self) -> str:
        """SQLALCHEMY_URL for a container on the stack network (the worker)."""
        return f"postgresql+psycopg2://{self.user}:{self.password}@{self.host}:{self.port}/{self.db}"

    def connect(self, **kwargs):
        import psycopg

        return psycopg.connect(host=HOST_ADDRESS, port=self.host_port, dbname=self.db,
                               user=self.user, password=self.password, **kwargs)


def start(stack) -> Postgres:
    user = db = "biomero"
    password = secrets.token_hex(16)
    c = (stack.container(stack_image("postgres"), name="database", aliases=[ALIAS],
                         service="postgres")
         .publish(PORT)
         .with_secret("postgres_db", db.encode())
         .with_secret("postgres_user", user.encode())
         .with_secret("postgres_password", password.encode())
         .ready_when_healthy(60))
    c.start()
    pg = Postgres(db=db, user=user, password=password, host_port=c.host_port(PORT),
                  container=c.name)

    def login():  # from the host, through the published port, with the password
        with pg.connect(connect_timeout=3) as conn:
            return conn.execute("select 1").fetchone() == (1,)

    wait_until("a PostgreSQL login from the host", login, 30, alive=c.raise_if_exited)
    return pg


def describe(pg: Postgres) -> dict:
    return {"in-network": f"{pg.host}:{pg.port}  db={pg.db} user={pg.user}",
            "from here": pg.url, "worker": f"SQLALCHEMY_URL={pg.sqlalchemy_url}"}

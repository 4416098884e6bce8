"""A database URL that cannot be parsed unambiguously is named as such without a
piece of its password (biomero_worker.analytics_db; the parser itself, SQLAlchemy,
runs in the image: tests/worker)."""

import pytest

from biomero_worker import analytics_db


@pytest.mark.parametrize("url", [
    "postgresql+psycopg2://biomero:abc@def:SECRET@db:5432/biomero",
    "postgresql+psycopg2://biomero:abc/SECRET@db:5432/biomero",
    "biomero:SECRET@db/biomero",
])
def test_ambiguous_urls_are_refused_before_parsing(url):
    why = analytics_db.precheck(url)
    assert why and "SECRET" not in why


@pytest.mark.parametrize("url", [
    "postgresql+psycopg2://biomero:a%40b%3Ac%2Fd%25e@db:5432/biomero",
    "postgresql+psycopg2://biomero:a:b%c@db:5432/biomero",
    "postgresql+psycopg2://db/biomero",
])
def test_encoded_passwords_pass_the_precheck(url):
    assert analytics_db.precheck(url) is None


def test_scrub_removes_every_piece_of_an_unparsable_password():
    url = "postgresql+psycopg2://biomero:abc@def:SECRET@db:5432/biomero"
    text = "invalid literal for int() with base 10: 'SECRET@db:5432' (abc@def)"
    assert "SECRET" not in analytics_db.scrub(text, url)
    assert "abc@def" not in analytics_db.scrub(text, url)

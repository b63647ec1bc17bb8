"""Config: every field is settable from the environment and documented in the README."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from blueprints.core.config import Config

README = Path(__file__).resolve().parents[2] / "README.md"


def _env(**values: str) -> dict[str, str]:
    return {"SECRET_KEY": "k" * 40, **values}


def _settings_table() -> dict[str, str]:
    """The README's settings table: variable -> its default cell."""
    text = README.read_text()
    section = text[text.index("## Configuration") :]
    table = section[section.index("| variable |") :]
    rows: dict[str, str] = {}
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1]
    return rows


def _as_env(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_every_field_is_read_from_its_variable():
    samples = {"int": "7", "float": "2.5", "bool": "yes", "str": "x", "list[int]": "1, 2,3"}
    samples["list[str]"] = "a,b"
    expected = {"int": 7, "float": 2.5, "bool": True, "str": "x", "list[int]": [1, 2, 3]}
    expected["list[str]"] = ["a", "b"]
    derived = {"SQLALCHEMY_DATABASE_URI", "SECRET_KEY"}
    env = _env(**{f.name: samples[str(f.type)] for f in fields(Config) if f.name not in derived})
    config = Config.from_env(environ=env)
    for f in fields(Config):
        if f.name not in derived:
            assert getattr(config, f.name) == expected[str(f.type)], f.name


def test_the_previously_unsettable_ones():
    config = Config.from_env(
        environ=_env(
            TOKEN_TTL_SECONDS="60",
            RQ_QUEUES="default",
            WEBHOOK_RETRY_JITTER="0",
            RATELIMIT_ENABLED="off",
            WEBHOOK_OUTBOX_GRACE_SECONDS="5",
        )
    )
    assert config.TOKEN_TTL_SECONDS == 60
    assert config.RQ_QUEUES == ["default"]
    assert config.WEBHOOK_RETRY_JITTER == 0.0
    assert config.RATELIMIT_ENABLED is False
    assert config.WEBHOOK_OUTBOX_GRACE_SECONDS == 5


def test_unset_or_empty_keeps_the_default():
    config = Config.from_env(environ=_env(API_PORT="", RQ_QUEUES=" "))
    assert config.API_PORT == 8883
    assert config.RQ_QUEUES == ["default", "deploys"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("API_PORT", "eighty"), ("WEBHOOK_RETRY_JITTER", "a lot"), ("RATELIMIT_ENABLED", "maybe")],
)
def test_a_bad_value_names_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Config.from_env(environ=_env(**{name: value}))


def test_database_url_is_normalised_for_psycopg():
    config = Config.from_env(environ=_env(DATABASE_URL="postgres://u@h/db"))
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"
    config = Config.from_env(environ=_env(DATABASE_URL="postgresql://u@h/db"))
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"


def test_secret_key_argument_wins():
    assert Config.from_env("given", environ=_env()).SECRET_KEY == "given"
    assert Config.from_env(environ=_env()).SECRET_KEY == "k" * 40


def test_argon2_defaults_are_argon2_cffis_own():
    default = PasswordHasher()
    ours = Config()
    cost = (ours.ARGON2_TIME_COST, ours.ARGON2_MEMORY_COST, ours.ARGON2_PARALLELISM)
    assert cost == (default.time_cost, default.memory_cost, default.parallelism)


def test_readme_table_lists_every_field_with_its_default():
    rows = _settings_table()
    names = {f.name for f in fields(Config)} - {"SQLALCHEMY_DATABASE_URI"} | {"DATABASE_URL"}
    assert set(rows) == names
    for f in fields(Config):
        default = getattr(Config(), f.name)
        if f.name in rows and default not in ("", None):
            shown = re.findall(r"`([^`]*)`", rows[f.name])
            assert shown and shown[0] == _as_env(default), (f.name, rows[f.name])


def test_password_hashing_follows_the_cost_settings_and_old_hashes_still_verify(app):
    from argon2 import extract_parameters

    from blueprints.core.auth import hash_password, verify_password

    with app.app_context():
        cheap = hash_password("pw")
        assert extract_parameters(cheap).memory_cost == app.config["ARGON2_MEMORY_COST"]
    production = PasswordHasher().hash("pw")  # made at another cost
    with app.app_context():
        assert verify_password(production, "pw")
        assert verify_password(cheap, "pw")
        assert not verify_password(cheap, "other")

"""Start-up configuration: clear one-line errors, production settings clean under check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from campus.config import ConfigError, database_config, redis_url

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3y-" + "".join(chr(33 + (i * 7) % 90) for i in range(60))


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "url, expected",
    [
        ("mysqll://root@localhost/x", "scheme 'mysqll'"),
        ("not a url", r"scheme '\(none\)'"),
        ("postgres://postgres@127.0.0.1:5432/", "names no database"),
    ],
)
def test_malformed_database_url_names_the_problem(url, expected):
    with pytest.raises(ConfigError, match=expected):
        database_config(url)


def test_redis_url_must_be_a_redis_url():
    with pytest.raises(ConfigError, match="REDIS_URL"):
        redis_url("http://localhost:6379")


def test_malformed_database_url_at_start_up_is_one_line_not_a_traceback():
    result = manage("check", DATABASE_URL="mysqll://nowhere/x")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "DATABASE_URL" in result.stderr


def test_unreachable_database_at_start_up_is_named_in_one_line():
    result = manage("preflight", DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL: cannot reach database" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check", DJANGO_DEBUG="0")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="campus.example.ac.kr",
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_prepared_statements_on_postgresql_run_on_one_generic_plan():
    from campus.config import GENERIC_PLANS

    url = "postgres://u@127.0.0.1:5432/db"
    plain = database_config(url)
    kept = database_config(url + "?options=-c%20statement_timeout%3D5000")
    chosen = database_config(url + "?options=-c%20plan_cache_mode%3Dauto")
    unprepared = database_config(url, prepared=False)
    behind_a_pooler = database_config(url, generic_plans=False)

    assert plain["OPTIONS"]["options"] == "-c plan_cache_mode=force_generic_plan" == GENERIC_PLANS
    assert kept["OPTIONS"]["options"] == f"-c statement_timeout=5000 {GENERIC_PLANS}"
    assert chosen["OPTIONS"]["options"] == "-c plan_cache_mode=auto"  # the URL's own choice
    assert "options" not in unprepared.get("OPTIONS", {})
    assert "options" not in behind_a_pooler["OPTIONS"]  # PgBouncer refuses startup options


def test_generic_plans_can_be_turned_off_from_the_environment():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/blockcampus_unused",
        DATABASE_GENERIC_PLANS="0",
    )

    assert result.returncode == 0, result.stderr
    assert "plan_cache_mode" not in result.stdout and "prepare_threshold" in result.stdout

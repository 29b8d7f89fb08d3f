import json
import os
import subprocess
import sys

import pytest

from courseproj.lib.env import env_bool, env_int, env_list
from tests.services import ROOT

PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'name': str(settings.DATABASES['default']['NAME']), 'broker': settings.CELERY_BROKER_URL, "
    "'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, 'data': str(settings.DATA_DIR), "
    "'email': settings.EMAIL_BACKEND}))"
)
SETTINGS_VARS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "COURSEPROJ_DATA_DIR",
    "COURSEPROJ_VAR_DIR",
)


def load_settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    base["DJANGO_SETTINGS_MODULE"] = "courseproj.settings"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60
    )
    return proc


class TestEnvHelpers:
    def test_it_reads_booleans(self, monkeypatch):
        monkeypatch.setenv("X_FLAG", "off")
        assert env_bool("X_FLAG", True) is False
        monkeypatch.setenv("X_FLAG", "Yes")
        assert env_bool("X_FLAG") is True

    def test_it_refuses_a_bad_boolean(self, monkeypatch):
        monkeypatch.setenv("X_FLAG", "maybe")
        with pytest.raises(ValueError, match="X_FLAG"):
            env_bool("X_FLAG")

    def test_it_reads_ints_and_lists(self, monkeypatch):
        monkeypatch.setenv("X_NUM", "12")
        monkeypatch.setenv("X_LIST", " a.example , b.example,")
        assert env_int("X_NUM", 3) == 12
        assert env_list("X_LIST") == ["a.example", "b.example"]
        monkeypatch.setenv("X_NUM", "twelve")
        with pytest.raises(ValueError, match="X_NUM"):
            env_int("X_NUM", 3)


class TestSettingsFromEnvironment:
    def test_embedded_defaults(self):
        proc = load_settings()
        assert proc.returncode == 0, proc.stderr
        values = json.loads(proc.stdout.strip().splitlines()[-1])
        assert values["engine"] == "django.db.backends.sqlite3"
        assert values["name"].endswith("var/db.sqlite3")
        assert values["broker"] == "filesystem://"
        assert values["data"].endswith("var/data")
        assert values["email"].endswith("console.EmailBackend")

    def test_production_like_variables(self):
        proc = load_settings(
            DATABASE_URL="postgres://app:pw@db.internal:5432/courseproj",
            CELERY_BROKER_URL="redis://cache.internal:6379/2",
            DEBUG="0",
            SECRET_KEY="x" * 60,
            ALLOWED_HOSTS="course.example.edu,www.course.example.edu",
            COURSEPROJ_DATA_DIR="/srv/courseproj-data",
        )
        assert proc.returncode == 0, proc.stderr
        values = json.loads(proc.stdout.strip().splitlines()[-1])
        assert values["engine"] == "django.db.backends.postgresql"
        assert values["name"] == "courseproj"
        assert values["broker"] == "redis://cache.internal:6379/2"
        assert values["debug"] is False
        assert values["hosts"] == ["course.example.edu", "www.course.example.edu"]
        assert values["data"] == "/srv/courseproj-data"

    def test_it_requires_a_secret_key_when_debug_is_off(self):
        proc = load_settings(DEBUG="0")
        assert proc.returncode != 0
        assert "SECRET_KEY must be set" in proc.stderr

    def test_check_deploy_passes_with_production_variables(self):
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
        env.update(DEBUG="0", SECRET_KEY="k" * 60 + "-Zq9", ALLOWED_HOSTS="course.example.edu")
        proc = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

"""Settings as operators meet them: production checks, and a copied .env.example."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Each test runs manage.py in a Python process of its own.
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7#Qm2!vL9pR4zT8wK1nB6yH3jD5sF0gC8aE2uI7oP4lN9mV-a8Kq3Zr5Wt1Yx6",
    "DJANGO_ALLOWED_HOSTS": "assistant.example.com",
    "WHATSAPP_VERIFY_TOKEN": "verify", "WHATSAPP_APP_SECRET": "secret",
    "WHATSAPP_ACCESS_TOKEN": "token", "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
    "WHATSAPP_BUSINESS_ACCOUNT_ID": "102290129340398",
}


def manage(*args, env=None, cwd=ROOT):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WHATSAPP_"))}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=cwd, env={**clean, **(env or {})},
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_with_debug_off_and_real_secrets():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_warns_that_without_the_business_account_templates_are_held():
    env = {k: v for k, v in PRODUCTION.items() if k != "WHATSAPP_BUSINESS_ACCOUNT_ID"}
    result = manage("check", "--deploy", env=env)
    assert "whatsapp.W006" in result.stdout + result.stderr and "is held instead of sent" in result.stderr


def test_check_deploy_warns_about_the_development_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", "--deploy", env=env)
    assert "security.W009" in result.stdout + result.stderr


def test_a_copied_env_example_with_empty_values_uses_the_defaults(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=shutil.ignore_patterns(".venv", "var", ".git", "artifacts", "__pycache__"))
    shutil.copy(ROOT / ".env.example", project / ".env")
    result = manage("check", cwd=project, env={"DATABASE_URL": "", "CELERY_BROKER_URL": ""})
    assert result.returncode == 0, result.stderr
    # DEBUG off and the development secret key: no sandbox either, so the missing settings are named.
    assert "WHATSAPP_APP_SECRET is not set" in result.stdout + result.stderr


SHOW_CHANNEL = ("from django.conf import settings as s; print(s.WHATSAPP_SANDBOX, s.WHATSAPP_API_BASE_URL, "
                "s.WHATSAPP_ACCESS_TOKEN == s.WHATSAPP_SANDBOX_ACCESS_TOKEN)")


def test_without_an_access_token_the_sandbox_is_on_and_nothing_goes_to_meta():
    result = manage("shell", "-c", SHOW_CHANNEL, env={"DJANGO_DEBUG": "1", "WHATSAPP_SANDBOX_URL": "http://127.0.0.1:9000"})
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "http://127.0.0.1:9000/sandbox/graph", "True"], result.stderr


def test_production_settings_never_run_the_sandbox_even_when_asked():
    result = manage("shell", "-c", SHOW_CHANNEL, env={**PRODUCTION, "WHATSAPP_SANDBOX": "1"})
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "https://graph.facebook.com", "False"], result.stderr
    assert "whatsapp.W005" not in manage("check", "--deploy", env=PRODUCTION).stdout


def test_production_settings_with_any_real_whatsapp_credential_never_run_the_sandbox():
    env = {k: v for k, v in PRODUCTION.items() if k != "WHATSAPP_ACCESS_TOKEN"}  # the token not set yet
    result = manage("shell", "-c", SHOW_CHANNEL, env=env)
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "https://graph.facebook.com", "False"]


def test_a_deployment_left_in_sandbox_mode_is_warned_about():
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith("WHATSAPP_")}
    result = manage("check", "--deploy", env=env)
    assert "whatsapp.W005" in result.stdout + result.stderr and "Sandbox mode" in result.stdout + result.stderr


SHOW_SECRETS = ("from django.conf import settings as s; print(s.WHATSAPP_SANDBOX, s.WHATSAPP_ACCESS_TOKEN, "
                "s.WHATSAPP_APP_SECRET, s.WHATSAPP_PHONE_NUMBER_ID, s.WHATSAPP_API_BASE_URL)")


def test_a_sandbox_next_to_real_credentials_never_uses_them():
    """The stand-in never receives the real token, and nothing it signs would pass a real webhook."""
    result = manage("shell", "-c", SHOW_SECRETS, env={**PRODUCTION, "DJANGO_DEBUG": "1", "WHATSAPP_SANDBOX": "1",
                                                      "WHATSAPP_SANDBOX_URL": "http://example.org"})
    on, token, secret, number, base = result.stdout.strip().splitlines()[-1].split()
    assert on == "True" and base == "http://example.org/sandbox/graph"
    assert token.startswith("sandbox-") and token != PRODUCTION["WHATSAPP_ACCESS_TOKEN"]
    assert secret != PRODUCTION["WHATSAPP_APP_SECRET"] and number != PRODUCTION["WHATSAPP_PHONE_NUMBER_ID"]


def test_with_debug_off_the_sandbox_needs_a_secret_key_of_its_own():
    """Derived from the public development key, its credentials would let anyone sign webhooks."""
    result = manage("shell", "-c", SHOW_CHANNEL, env={"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "x"})
    assert result.stdout.strip().splitlines()[-1].split()[0] == "False", result.stderr


def test_with_production_settings_every_sandbox_url_answers_404_even_when_asked_for():
    probe = ("from django.test import Client; c = Client(HTTP_HOST='assistant.example.com'); "
             "print(*[c.get(u, secure=True).status_code for u in ('/sandbox/', '/sandbox/graph/v25.0/1', "
             "'/sandbox/people/1/feed/')], c.post('/sandbox/graph/v25.0/1/messages', secure=True).status_code)")
    result = manage("shell", "-c", probe, env={**PRODUCTION, "WHATSAPP_SANDBOX": "1"})
    assert result.stdout.strip().splitlines()[-1].split() == ["404", "404", "404", "404"], result.stderr

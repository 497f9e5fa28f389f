"""bin/run and bin/test run pip only when the requirements changed since the last install
(bin/venv.sh), so starting again is quick; a new .venv always gets its install. bin/run ends its
output with a short block (bin/ready.py): the address and the login."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Stands in for .venv/bin/python: notes each pip run instead of reaching a package index.
FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../pip-runs"
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "venv.sh").write_text((ROOT / "bin" / "venv.sh").read_text())
    (tmp_path / "requirements.txt").write_text("Django==5.2.19\n")
    (tmp_path / "requirements-dev.txt").write_text("-r requirements.txt\npytest==9.2.0\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def install(project: Path, requirements: str) -> list[str]:
    """venv_install as the scripts call it; the pip runs so far."""
    subprocess.run(["bash", "-c", f"source bin/venv.sh && venv_install {requirements}"], cwd=project, check=True,
                   timeout=30)
    runs = project / ".venv" / "pip-runs"
    return runs.read_text().splitlines() if runs.exists() else []


def test_pip_runs_once_for_unchanged_requirements(project):
    assert install(project, "requirements.txt") == ["-m pip install -q --disable-pip-version-check -r requirements.txt"]
    assert len(install(project, "requirements.txt")) == 1


def test_pip_runs_again_when_the_requirements_change(project):
    install(project, "requirements.txt")
    (project / "requirements.txt").write_text("Django==5.2.20\n")
    assert len(install(project, "requirements.txt")) == 2


def test_the_test_requirements_are_stamped_apart_and_follow_the_runtime_ones(project):
    install(project, "requirements.txt")
    assert len(install(project, "requirements-dev.txt")) == 2  # its own stamp
    assert len(install(project, "requirements-dev.txt")) == 2
    (project / "requirements.txt").write_text("Django==5.2.20\n")  # included by requirements-dev.txt
    assert len(install(project, "requirements-dev.txt")) == 3


# --- bin/ready.py: ./bin/run's closing block ------------------------------------------------------
@pytest.fixture
def health_server():
    """A web server that answers /health/, as the started one does."""
    import http.server
    import threading

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health/" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def ready(tmp_path, *args) -> subprocess.Popen:
    """bin/ready.py in a project whose `manage.py whatsapp_templates sync` only says what it did."""
    (tmp_path / "manage.py").write_text("import sys\nprint('Synced 4 templates:', ' '.join(sys.argv[1:]))\n")
    return subprocess.Popen([sys.executable, str(ROOT / "bin" / "ready.py"), *map(str, args)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_closing_block_names_the_address_and_the_login_once_the_worker_is_ready(health_server, tmp_path):
    login = tmp_path / "demo-login.txt"
    login.write_text("# The demo admin login made by `manage.py seed_demo`.\nurl: /admin/\nusername: admin\n"
                     "password: s3cret-Pa55\n")
    marker = tmp_path / "worker-ready"
    process = ready(tmp_path, health_server, marker, login)
    time.sleep(1)
    assert process.poll() is None  # the server answers, but the worker is not ready yet
    marker.write_text("1234\n")
    out, err = process.communicate(timeout=10)
    assert (process.returncode, err) == (0, "")
    lines = out.strip("\n").splitlines()
    assert lines[0] == "Templates: Synced 4 templates: whatsapp_templates sync --skip-checks"
    assert lines[1] == ""
    lines = lines[2:]
    assert lines[:4] == [f"Ready: open {health_server}/sandbox/ and log in.",
                         "  username  admin",
                         f"  password  s3cret-Pa55   (kept in {login})",
                         f"  admin     {health_server}/admin/"]
    assert "/expense 12.50 lunch meals" in out and lines[-1].startswith("Then approve the expense at ")


def test_without_the_demo_the_block_says_how_to_make_a_login(health_server, tmp_path):
    marker = tmp_path / "worker-ready"
    marker.write_text("1\n")
    out, _ = ready(tmp_path, health_server, marker).communicate(timeout=10)
    assert f"Ready: open {health_server}/sandbox/ and log in." in out
    assert "DEMO=0" in out and "createsuperuser" in out and "password" not in out

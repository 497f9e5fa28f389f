"""bin/run and bin/test run pip only when the requirements changed since the last install
(bin/venv.sh), so starting again is quick; a new .venv always gets its install."""

import subprocess
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

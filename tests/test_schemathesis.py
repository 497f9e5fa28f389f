"""The REST API against its own OpenAPI schema, as an independent client would find it:
bin/schemathesis runs schemathesis (every check, with a token) on a server of its own with the demo
business, and finds nothing. The expected refusals the schema cannot express are in
schemathesis.toml, each with its reason."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_schemathesis_finds_nothing_in_the_api(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    env["SCHEMATHESIS_REPORT_DIR"] = str(tmp_path)
    result = subprocess.run(["bash", "bin/schemathesis", "--report", "junit"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    selected, total = re.search(r"Operations:\s+(\d+) selected / (\d+) total", result.stdout).groups()
    assert selected == total and int(total) >= 10  # every operation of the API was tested
    assert list(tmp_path.glob("junit*.xml"))  # the report schemathesis writes on a finished run

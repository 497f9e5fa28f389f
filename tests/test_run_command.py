"""The README's run command, as a newcomer meets it: `./bin/run` on a copy of the project, with no
services, then a message typed in the sandbox answered through the webhook, the Celery worker, the
assistant and the Graph stand-in; started again, it keeps the data.

It runs the real script (web server, worker, filesystem broker, SQLite in the copy's var/), so it
takes a few seconds; the copy shares this checkout's .venv, so nothing is downloaded.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
READY = re.compile(r"Ready: open (http://\S+)/sandbox/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Run:
    """`./bin/run` in its own process group, its output collected in a file."""

    def __init__(self, project: Path, port: int):
        self.log = project / f"run-{time.monotonic_ns()}.log"
        # The embedded defaults, whatever this test run uses (CI points it at PostgreSQL and Redis).
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DJANGO_", "WHATSAPP_", "CELERY_", "OPENAI_", "DATABASE_"))}
        env.update(PORT=str(port), PYTHONUNBUFFERED="1", NO_PROXY="127.0.0.1,localhost")
        self.process = subprocess.Popen(["bash", "bin/run"], cwd=project, env=env, start_new_session=True,
                                        stdout=self.log.open("w"), stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = READY.search(self.output())
            if found:
                return found.group(1)
            assert self.process.poll() is None, self.output()[-3000:]
            time.sleep(0.2)
        raise AssertionError("bin/run never printed its banner:\n" + self.output()[-3000:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def project(tmp_path):
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "var", ".git", "artifacts", "__pycache__",
                                                              ".env"))
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


@pytest.fixture
def run_command(project):
    runs = []

    def start() -> Run:
        run = Run(project, free_port())
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.stop()


def log_in(base: str, password: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.get(f"{base}/admin/login/")
    session.post(f"{base}/admin/login/", data={"username": "admin", "password": password,
                                               "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                 headers={"Referer": f"{base}/admin/login/"})
    return session


def chat(session: requests.Session, base: str, person: str, text: str) -> dict:
    """What the sandbox page does: compose, post the signed webhook, poll until the reply is read."""
    page = session.get(f"{base}/sandbox/").text
    person_id = re.search(rf'data-person="(\d+)">\s*<span class="name">{person}<', page).group(1)
    csrf = re.search(r'"csrfToken": "([^"]+)"', page).group(1)
    composed = session.post(f"{base}/sandbox/people/{person_id}/compose/", json={"text": text},
                            headers={"X-CSRFToken": csrf, "Referer": f"{base}/sandbox/"}).json()
    posted = session.post(f"{base}/webhooks/whatsapp/", data=composed["body"],
                          headers={"Content-Type": "application/json",
                                   "X-Hub-Signature-256": composed["signature"]})
    assert posted.status_code == 200, posted.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        messages = session.get(f"{base}/sandbox/people/{person_id}/feed/").json()["messages"]
        replies = [m for m in messages if m["direction"] == "out"]
        if replies and replies[-1]["ticks"] == "read":
            return replies[-1]
        time.sleep(0.2)
    raise AssertionError(f"no reply read in time: {messages}")


def test_the_run_command_serves_the_sandbox_and_keeps_the_demo_business_across_restarts(run_command, graph):
    graph.mock.add_passthru("http://127.0.0.1")  # the test talks to the started server for real
    first = run_command()
    base = first.wait_ready()
    output = first.output()
    password = re.search(r"password\s+(\S+)", output).group(1)
    assert "Maria Ortega" in output and "Tom Becker" in output and "Priya Shah" in output
    assert output.count("/expense 12.50 lunch") >= 1 and "/invoices" in output  # things to try
    # The template catalogue, from the sandbox's stand-in: the project's templates, approved.
    assert "Templates: Synced 5 template(s): 5 new" in output

    session = log_in(base, password)
    reply = chat(session, base, "Tom Becker", "/expense 12.50 lunch meals")
    assert reply["text"].startswith("Saved expense #") and "12.50" in reply["text"]
    first.stop()

    second = run_command()
    base = second.wait_ready()
    assert "already there, nothing changed" in second.output()
    assert re.search(r"password\s+(\S+)", second.output()).group(1) == password
    session = log_in(base, password)
    reply = chat(session, base, "Tom Becker", "/expenses")
    assert "12.50" in reply["text"] and "lunch" in reply["text"]  # the expense from the first run


def worker_main_process(run: Run) -> int | None:
    """The pid of the Celery worker's main process among the run's processes (not its pool's)."""
    listing = subprocess.run(["ps", "-o", "pid=,ppid=,args=", "-g", str(run.process.pid)], capture_output=True,
                             text=True).stdout
    processes = {int(pid): (int(ppid), args) for pid, ppid, args in
                 (line.split(None, 2) for line in listing.splitlines() if line.strip())}
    for pid, (ppid, args) in processes.items():
        parent_args = processes.get(ppid, (0, ""))[1]
        if "celery -A config worker" in args and "celery -A config worker" not in parent_args:
            return pid
    return None


def test_the_run_command_restarts_a_worker_that_dies_and_says_so(run_command, graph):
    graph.mock.add_passthru("http://127.0.0.1")
    run = run_command()
    base = run.wait_ready()
    password = re.search(r"password\s+(\S+)", run.output()).group(1)
    first = worker_main_process(run)
    assert first is not None

    os.kill(first, signal.SIGKILL)  # killed, as the kernel's out-of-memory killer would
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and worker_main_process(run) in (None, first):
        time.sleep(0.2)
    assert worker_main_process(run) not in (None, first)
    said = [line for line in run.output().splitlines() if line.startswith("bin/run: the worker exited")]
    assert said == ["bin/run: the worker exited (status 137); starting it again in 2 s."]

    session = log_in(base, password)
    reply = chat(session, base, "Tom Becker", "/expense 7.20 parking travel")  # the new worker answers
    assert reply["text"].startswith("Saved expense #")

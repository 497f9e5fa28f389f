"""./bin/run's closing block: once the web server answers and the worker is ready (below Celery's
start-up banner), where to open the sandbox and the admin, the login, and things to try. Before it,
once the web server answers, it syncs the template catalogue (in sandbox mode from the web server's
Graph stand-in, which has the project's templates approved; beat syncs every 15 minutes after).

    ready.py URL WORKER_READY_FILE [LOGIN_FILE]

LOGIN_FILE is the demo login seed_demo keeps ("key: value" lines); without it (DEMO=0) the block
says to log in with an admin login of one's own. Standard library only: it runs beside the server.
"""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

WAIT_SECONDS = 120


def login_of(path: Path | None) -> dict[str, str]:
    """The username and password a login file keeps ({} when there is none)."""
    if path is None or not path.exists():
        return {}
    fields = {}
    for line in path.read_text().splitlines():
        key, colon, value = line.partition(":")
        if colon and not line.startswith("#"):
            fields[key.strip()] = value.strip()
    return fields


def block(url: str, login: dict[str, str], login_file: Path | None) -> str:
    lines = ["", f"Ready: open {url}/sandbox/ and log in."]
    if login.get("username"):
        lines += [f"  username  {login['username']}",
                  f"  password  {login.get('password', '')}   (kept in {login_file})",
                  f"  admin     {url}/admin/",
                  "Things to try in the sandbox (these commands work without an OPENAI_API_KEY):",
                  "  1. As the staff member, send:  /expense 12.50 lunch meals",
                  "  2. Send:                       /expenses",
                  "  3. As the manager, send:       /invoices",
                  f"Then approve the expense at {url}/admin/ (the staff member is told in the sandbox)."]
    else:
        lines += ["  Log in with an admin login of your own (DEMO=0: no demo business was created;",
                  "  `.venv/bin/python manage.py createsuperuser` makes one).",
                  f"  admin     {url}/admin/"]
    return "\n".join(lines) + "\n"


def templates_sync() -> str:
    """One line saying how the template catalogue's sync went (`manage.py whatsapp_templates sync`)."""
    try:
        synced = subprocess.run([sys.executable, "manage.py", "whatsapp_templates", "sync", "--skip-checks"],
                                capture_output=True, text=True, timeout=120)
    except subprocess.SubprocessError as exc:
        return f"Templates: not synced ({exc}); beat syncs them within 15 minutes."
    said = (synced.stdout or synced.stderr).strip().splitlines()
    return f"Templates: {said[0] if said else 'synced'}"


def wait_for(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def main(argv: list[str]) -> int:
    url, ready_file = argv[1], Path(argv[2])
    login_file = Path(argv[3]) if len(argv) > 3 else None
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy

    def answers() -> bool:
        try:
            with direct.open(f"{url}/health/", timeout=2):
                return True
        except OSError:
            return False

    if not wait_for(answers, WAIT_SECONDS):
        print(f"bin/run: the web server did not answer {url}/health/ within two minutes.", file=sys.stderr)
        return 1
    print(templates_sync(), flush=True)
    if not wait_for(ready_file.exists, WAIT_SECONDS):
        print("bin/run: the Celery worker is not ready after two minutes: messages wait until it is.",
              file=sys.stderr)
    time.sleep(0.3)  # the worker logs "ready." just after it says so: the block comes after that line
    print(block(url, login_of(login_file), login_file), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

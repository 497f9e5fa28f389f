"""Every process the Procfile names has a systemd unit under deploy/ that runs the same command and
starts it again whenever it exits."""

import configparser
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def procfile() -> dict[str, str]:
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split(": ", 1) for line in lines)


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "deploy" / "systemd" / f"assistant-{name}.service")
    return parser


def program_and_arguments(command: str) -> list[str]:
    """The program's name and its first arguments, up to the first option with a value to fill in."""
    words = shlex.split(command)
    words[0] = Path(words[0]).name
    return [word for word in words if "$" not in word]


@pytest.mark.parametrize("process", ["web", "worker", "beat"])
def test_each_procfile_process_has_a_systemd_unit_that_restarts_it(process):
    service = unit(process)["Service"]
    assert service["Restart"] == "always"
    assert int(service["RestartSec"]) > 0
    assert service["EnvironmentFile"] == "/etc/assistant/assistant.env"
    assert unit(process)["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up
    ours = program_and_arguments(service["ExecStart"])
    theirs = program_and_arguments(procfile()[process])
    assert ours[:4] == theirs[:4], (ours, theirs)

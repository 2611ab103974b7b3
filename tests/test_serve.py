"""The app listens on loopback unless told otherwise (issue 12 item 10): it has no login."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from forecasting import commands
from forecasting.cli import build_parser
from tests.conftest import ROOT


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) of sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A is LISTEN
                found.append(address)
    return found


def test_capcost_serve_listens_on_loopback_only(demo_db: Path) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "forecasting.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--db", str(demo_db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not _listening(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        addresses = _listening(port)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert addresses, "the server never listened"
    assert set(addresses) == {"0100007F"}, addresses  # 127.0.0.1, and no other interface


def test_serving_wider_is_an_explicit_option(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(commands.subprocess, "call", lambda cmd, env, cwd: seen.append(cmd) or 0)
    for extra, address in (([], "127.0.0.1"), (["--address", "0.0.0.0"], "0.0.0.0")):
        args = build_parser().parse_args(["serve", *extra])
        assert args.handler(args) == 0
        assert seen[-1][seen[-1].index("--server.address") + 1] == address


def test_make_run_and_the_streamlit_config_bind_loopback() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    dry = subprocess.run(
        ["make", "-n", "-W", "data/capcost.duckdb", "run", "DB=/nonexistent.duckdb"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "--server.address 127.0.0.1" in dry.stdout, dry.stdout + dry.stderr


def test_serve_applies_the_projects_streamlit_config_from_any_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Typed outside the checkout, `capcost serve` kept the address (a flag) but lost the
    theme, the viewer toolbar (a Deploy button) and the error details of the config."""
    seen: list[Path] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        commands.subprocess, "call", lambda cmd, env, cwd: seen.append(Path(cwd)) or 0
    )
    args = build_parser().parse_args(["serve"])
    assert args.handler(args) == 0
    config = tomllib.loads((seen[0] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["server"]["address"] == "127.0.0.1"

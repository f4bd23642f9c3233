"""Run the real app in a subprocess on a free loopback port (for browser and multi-worker tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppServer:
    """``python -m app.cli serve`` against a given database; stopped on exit."""

    def __init__(self, database_url: str, var_dir: Path, *, workers: int = 1, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "FORESTMATCH_DATABASE_URL": database_url, "FORESTMATCH_VAR_DIR": str(var_dir)}
        env.pop("FORESTMATCH_DB_POOL_MAX", None)  # a real server keeps its pool
        # Tests change the database behind the server's back: listings must not be reused between requests.
        env.setdefault("FORESTMATCH_LIST_CACHE_SECONDS", "0")
        env.update(extra_env or {})
        var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir = var_dir
        self.log = var_dir / f"server-{self.port}.log"
        self._log_handle = self.log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
            ],
            env=env,
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/about", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log_handle.close()

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

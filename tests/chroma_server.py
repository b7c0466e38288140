"""Processes for the fault and scale-out tests: a real ``chroma run`` (started, stopped and started
again on the same path and port), and app processes started side by side."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import RunningApp, free_port


class ChromaServer:
    def __init__(self, data: Path, log_path: Path):
        self.data = data
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        binary = Path(sys.executable).with_name("chroma")
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [str(binary), "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child keeps its own descriptor
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("chroma run exited: " + self.log_path.read_text())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("chroma run did not answer within 60 s: " + self.log_path.read_text())

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def env(self) -> dict[str, str]:
        return {"GUANWEN_CHROMA_HOST": "127.0.0.1", "GUANWEN_CHROMA_PORT": str(self.port)}


def start_apps(*specs: tuple[dict[str, str], Path]) -> list[RunningApp]:
    """``RunningApp(env, log)`` for each spec, started at the same time (start-up is mostly imports,
    so two cores start two at once); if one fails, the others are stopped before the error is raised."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(specs)) as pool:
        futures = [pool.submit(RunningApp, env, log) for env, log in specs]
    apps, errors = [], []
    for future in futures:
        try:
            apps.append(future.result())
        except Exception as error:
            errors.append(error)
    if errors:
        for app in apps:
            app.stop()
        raise errors[0]
    return apps

"""The app as production serves it: gunicorn with threaded workers (README)."""

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_fresh_threaded_worker_answers_concurrent_first_requests(tiny_warehouse):
    """A browser's first page load asks for a dozen scripts at once. Dash registers its scripts on the first
    request only, after marking setup done, so requests racing it got 500 "not a registered library"
    (plotly/dash#3971) and a blank page. Nothing may be requested before the burst: it must be the first."""
    port = _free_port()
    proc = subprocess.Popen(
        [str(GUNICORN), "-w", "1", "--threads", "8", "-b", f"127.0.0.1:{port}", "app:server"],
        cwd=ROOT, env=dict(os.environ, GANSU_DB=str(tiny_warehouse)), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:  # wait for the socket to accept, without sending a request
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        urls = ([base + "/_dash-component-suites/dash/dcc/dash_core_components.v4_4_1m1.js"] * 12
                + [base + "/_dash-dependencies"] * 4 + [base + "/"] * 4)
        with ThreadPoolExecutor(len(urls)) as ex:
            codes = list(ex.map(lambda u: requests.get(u, timeout=60).status_code, urls))
        assert codes == [200] * len(urls), codes
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)

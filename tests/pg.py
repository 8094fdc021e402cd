"""A throw-away PostgreSQL server for the tests: Debian's `postgresql` package (Makefile APT_PACKAGES),
a cluster made by initdb in a temp folder, on a free port of 127.0.0.1, stopped and removed afterwards.
initdb refuses to run as root, so as root the cluster belongs to the `postgres` user (or `nobody`)."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


def _bindir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server():
    """Yields a SQLAlchemy URL (postgresql+psycopg://…) of a fresh database."""
    bindir = _bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed: run `make system` (Debian package postgresql)")
    folder = tempfile.mkdtemp(prefix="gansu-pg-")
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = "postgres" if _has_user("postgres") else "nobody"
        pw = pwd.getpwnam(user)
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        os.chmod(folder, 0o700)
        run_as = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", user, "--"]
    data, sock, port = os.path.join(folder, "data"), folder, _free_port()
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    subprocess.run(run_as + [f"{bindir}/initdb", "-D", data, "-U", "gansu", "--auth=trust", "-E", "UTF8",
                             "--no-instructions"], check=True, capture_output=True, env=env)
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(folder, "log"),
                             "-w", "-t", "60", "start"], check=True, capture_output=True, env=env)
    try:
        url = f"postgresql+psycopg://gansu@127.0.0.1:{port}/postgres"
        _wait(port)
        yield url
    finally:
        subprocess.run(run_as + [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True, env=env)
        shutil.rmtree(folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _wait(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)

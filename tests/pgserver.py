"""A real PostgreSQL server for the DuckLake catalog tests: a throwaway cluster in a temporary
folder, on a free loopback port, password authentication, stopped by its own PID.

Debian's ``postgresql`` package puts the binaries in ``/usr/lib/postgresql/<major>/bin``;
``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "jjj-test-only"  # noqa: S105 - a throwaway cluster on loopback, deleted after the run
DBNAME = "lake"


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parent)
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class PgServer:
    """A running cluster: where, and how to reach it (the password is in PGPASSWORD)."""

    folder: Path
    port: int
    pid: int

    def catalog(self, dbname: str = DBNAME) -> str:
        """``[warehouse] catalog`` for a database of this server (no password in it)."""
        return f"postgres:host=127.0.0.1 port={self.port} dbname={dbname} user=postgres"

    def psql(self, sql: str, dbname: str = DBNAME) -> str:
        """Run ``sql`` with psql; its unaligned output."""
        out = subprocess.run(
            [
                str(self.folder / "bin" / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                dbname,
                "-At",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "PGPASSWORD": PASSWORD},
            check=True,
        )
        return out.stdout.strip()


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def start(bin_dir: Path) -> PgServer:
    """initdb + pg_ctl start in a new temporary folder; the caller stops it with :func:`stop`."""
    folder = Path(tempfile.mkdtemp(prefix="jjj-pg-"))
    (folder / "bin").symlink_to(bin_dir)
    data, pwfile = folder / "data", folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    _run(
        _as_owner(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--pwfile",
                str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=trust",
                "--no-sync",
                "-E",
                "UTF8",
            ]
        ),
    )
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
    )
    _run(
        _as_owner(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
    )
    pid = int((data / "postmaster.pid").read_text().split()[0])
    server = PgServer(folder, port, pid)
    try:
        server.psql(f"create database {DBNAME}", dbname="postgres")
    except BaseException:
        stop(server)
        raise
    return server


def stop(server: PgServer, timeout: float = 30.0) -> None:
    """Fast shutdown of the postmaster by its PID, then remove the folder."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(server.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(server.pid, signal.SIGKILL)
    shutil.rmtree(server.folder, ignore_errors=True)

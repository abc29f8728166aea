"""A real S3-compatible server for the DuckLake object-storage tests: moto in server mode
(``python -m moto.server``) on a free loopback port, stopped by its own process group.

moto keeps buckets in memory; every test makes buckets of its own (:meth:`S3Server.bucket`).
The credentials are moto's throwaway ones; DuckLake reads them from the environment.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

KEY_ID = "jjj-test-key"
SECRET = "jjj-test-secret"  # noqa: S105 - moto's in-memory server on loopback accepts any
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    """A running moto server."""

    port: int
    proc: subprocess.Popen[bytes]

    @property
    def endpoint(self) -> str:
        """``[warehouse] s3_endpoint`` for this server."""
        return f"127.0.0.1:{self.port}"

    def client(self) -> Any:
        """A boto3 S3 client of this server (to make buckets and list what DuckLake wrote)."""
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=f"http://{self.endpoint}",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
            region_name=REGION,
        )

    def bucket(self, name: str) -> str:
        """Create bucket ``name``; its ``s3://`` URL."""
        self.client().create_bucket(Bucket=name)
        return f"s3://{name}"

    def keys(self, bucket: str) -> list[str]:
        """Every object key in ``bucket`` (bounded: moto lists 1 000 a page, 50 pages)."""
        client, keys, token = self.client(), [], None
        for _ in range(50):
            kwargs = {"Bucket": bucket, **({"ContinuationToken": token} if token else {})}
            page = client.list_objects_v2(**kwargs)
            keys += [o["Key"] for o in page.get("Contents", [])]
            token = page.get("NextContinuationToken")
            if not token:
                break
        return keys


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(timeout: float = 60.0) -> S3Server:
    """Start moto's server; wait (bounded) until it answers.

    Raises RuntimeError with its output when it does not come up.
    """
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = S3Server(port, proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"http://{server.endpoint}/moto-api/", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    stop(server)
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    raise RuntimeError(f"moto's S3 server did not come up on {server.endpoint}:\n{out[-2000:]}")


def stop(server: S3Server, grace: float = 10) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.proc.pid, signal.SIGTERM)
    try:
        server.proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)

"""Politeness as an httpx transport: per-host rate and concurrency, retries, byte caps.

:class:`PoliteTransport` wraps any async transport (``httpx.AsyncHTTPTransport`` in
production, ``httpx.MockTransport`` in unit tests, :class:`FileTransport` for ``file://``):

* per host, at most ``concurrency`` requests in flight and one request start every
  ``1 / requests_per_second`` seconds (a robots.txt ``Crawl-delay`` can slow a host further);
  across all hosts, at most ``max_in_flight`` (the global cap);
* connection errors, timeouts, 429 and 5xx are retried with exponential backoff and jitter,
  honouring ``Retry-After`` (seconds or an HTTP date), bounded by :class:`RetryPolicy`;
* each attempt (send + reading the body) has a total deadline, and the raw body is read
  inside the transport with a byte cap, so slow drips and huge bodies cannot hold a slot.

:func:`read_body` then decompresses with a cap on the *decoded* size, so a small gzip body
that inflates past ``max_bytes`` (a compression bomb) is stopped while streaming.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from jjj_etl.errors import FetchError

__all__ = [
    "BodyTooLargeError",
    "PoliteTransport",
    "RetryPolicy",
    "parse_retry_after",
    "read_body",
]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})
_RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


TRUNCATE = "jjj_etl.truncate"
"""A request extension: read only the first ``max_bytes`` of the body, without failing."""


class BodyTooLargeError(FetchError):
    """A response body went past the byte cap."""

    def __init__(self, limit: int, status: int = 200, detail: str = "") -> None:
        self.limit = limit
        self.status = status
        self.detail = detail  # how it was noticed: "(Content-Length: …)", "once gzip-decoded"
        super().__init__(f"body exceeded {limit} bytes" + (f" {detail}" if detail else ""))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry.  Waits: ``backoff_base * 2**n`` plus up to one
    ``backoff_base`` of jitter, or ``Retry-After`` when the server sends one; a retry whose
    wait would take the total past ``max_total_wait`` is not made.

    >>> RetryPolicy().max_retries, RetryPolicy().max_total_wait
    (3, 30.0)
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    max_backoff: float = 10.0
    max_total_wait: float = 30.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The wait before retry number ``attempt + 1`` when the server gave no Retry-After."""
        return min(self.max_backoff, self.backoff_base * 2.0**attempt) + rng.uniform(
            0, self.backoff_base
        )


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date), or None.

    >>> parse_retry_after("3"), parse_retry_after("soon")
    (3.0, None)
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=0.0)
    60.0
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class _Host:
    """Per-host state: a concurrency semaphore and the time the next request may start."""

    def __init__(self, concurrency: int, interval: float) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self.lock = asyncio.Lock()
        self.interval = interval
        self.next_start = 0.0

    async def throttle(self) -> None:
        async with self.lock:
            now = time.monotonic()
            if self.next_start > now:
                await asyncio.sleep(self.next_start - now)
            self.next_start = max(now, self.next_start) + self.interval


class PoliteTransport(httpx.AsyncBaseTransport):
    """Wrap ``inner`` with per-host politeness, retries and a raw byte cap.

    ``requests_per_second=None`` disables rate limiting (local files).  The returned
    response carries its raw body in memory (at most ``max_raw_bytes``); a larger body
    raises :class:`BodyTooLargeError`.  Transport errors left after the retries propagate.

    >>> import asyncio
    >>> mock = httpx.MockTransport(lambda request: httpx.Response(200, text="ok"))
    >>> async def main() -> str:
    ...     async with httpx.AsyncClient(transport=PoliteTransport(mock)) as client:
    ...         return (await client.get("http://example.test/")).text
    >>> asyncio.run(main())
    'ok'
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        requests_per_second: float | None = 1.0,
        concurrency: int = 2,
        retry: RetryPolicy | None = None,
        max_raw_bytes: int = 5_000_000,
        attempt_timeout: float | None = 60.0,
        rng: random.Random | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self.interval = 1.0 / requests_per_second if requests_per_second else 0.0
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.max_raw_bytes = max_raw_bytes
        self.attempt_timeout = attempt_timeout
        self.rng = rng or random.Random()  # noqa: S311 -- jitter, not cryptography
        self._hosts: dict[str, _Host] = {}
        self._global = asyncio.Semaphore(max_in_flight) if max_in_flight else None
        self.in_flight = 0
        self.peak_in_flight = 0  # the most requests in flight at once, for logs and tests
        self.waits: list[float] = []  # every retry wait taken, for logs and tests

    def _host(self, host: str) -> _Host:
        if host not in self._hosts:
            self._hosts[host] = _Host(self.concurrency, self.interval)
        return self._hosts[host]

    def set_min_interval(self, host: str, seconds: float) -> None:
        """Slow ``host`` to at most one request start every ``seconds`` (robots Crawl-delay)."""
        state = self._host(host)
        state.interval = max(state.interval, seconds)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` politely, retrying as the policy allows."""
        state = self._host(request.url.host)
        async with state.semaphore:  # the host's slot first: waiting for it holds no global slot
            if self._global is None:
                return await self._with_retries(request, state)
            async with self._global:
                return await self._with_retries(request, state)

    async def _with_retries(self, request: httpx.Request, state: _Host) -> httpx.Response:
        waited = 0.0
        for attempt in range(self.retry.max_retries + 1):
            await state.throttle()
            last = attempt == self.retry.max_retries
            try:
                response = await self._attempt(request)
            except _RETRY_ERRORS:
                if last:
                    raise
                delay = self.retry.backoff(attempt, self.rng)
                if waited + delay > self.retry.max_total_wait:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                delay = self._delay(response, attempt)
                if waited + delay > self.retry.max_total_wait:
                    return response
            waited += delay
            self.waits.append(delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _delay(self, response: httpx.Response, attempt: int) -> float:
        after = parse_retry_after(response.headers.get("retry-after"))
        return after if after is not None else self.retry.backoff(attempt, self.rng)

    async def _attempt(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            async with asyncio.timeout(self.attempt_timeout):
                return await self._send_and_read(request)
        except TimeoutError as exc:
            msg = f"no complete response within {self.attempt_timeout} s"
            raise httpx.ReadTimeout(msg, request=request) from exc
        finally:
            self.in_flight -= 1

    async def _send_and_read(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        # a request that asks for a prefix (robots.txt: its first 500 KiB are what counts)
        # keeps the first max_raw_bytes and stops reading, instead of failing
        prefix = bool(request.extensions.get(TRUNCATE))
        try:
            declared = response.headers.get("content-length", "")
            if not prefix and declared.isdigit() and int(declared) > self.max_raw_bytes:
                detail = f"(Content-Length: {declared})"
                raise BodyTooLargeError(self.max_raw_bytes, response.status_code, detail)
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.stream:  # type: ignore[union-attr]
                size += len(chunk)
                if size > self.max_raw_bytes:
                    if prefix:
                        chunks.append(chunk[: len(chunk) - (size - self.max_raw_bytes)])
                        break
                    raise BodyTooLargeError(
                        self.max_raw_bytes, response.status_code, "while streaming"
                    )
                chunks.append(chunk)
        finally:
            await response.aclose()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(b"".join(chunks)),
            request=request,
            extensions=response.extensions,
        )


class _Full(Exception):  # noqa: N818 - control flow, not an error: the cap is reached
    """Raised inside :class:`_Inflater` when a truncating read has what it wants."""


class _Inflater:
    """Incremental decompression with a hard cap on the output size."""

    def __init__(self, encoding: str, limit: int, status: int, *, truncate: bool = False) -> None:
        self.limit = limit
        self.truncate = truncate
        self.status = status
        self.detail = f"once {encoding}-decoded" if encoding not in ("", "identity") else ""
        self.size = 0
        self.parts: list[bytes] = []
        self._z: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding not in ("", "identity", "deflate"):
            raise FetchError(f"unsupported content-encoding {encoding!r}")
        self._deflate = encoding == "deflate"

    def _keep(self, out: bytes) -> None:
        self.size += len(out)
        if self.size > self.limit:
            if not self.truncate:
                raise BodyTooLargeError(self.limit, self.status, self.detail)
            self.parts.append(out[: len(out) - (self.size - self.limit)])
            raise _Full
        self.parts.append(out)

    def feed(self, data: bytes) -> None:
        if self._deflate and self._z is None:  # zlib-wrapped (RFC) or raw deflate (IIS)
            zlib_header = (
                len(data) > 1 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            )
            self._z = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        if self._z is None:
            self._keep(data)
            return
        while data:
            self._keep(self._z.decompress(data, self.limit - self.size + 1))
            data = self._z.unconsumed_tail

    def finish(self) -> bytes:
        if self._z is not None:
            self._keep(self._z.flush())
        return b"".join(self.parts)


async def read_body(response: httpx.Response, max_bytes: int, *, truncate: bool = False) -> bytes:
    """Read and decompress a streamed response, stopping once it passes ``max_bytes``.

    Supports ``gzip``, ``deflate`` and identity.  Past the cap, raises
    :class:`BodyTooLargeError`, or with ``truncate`` returns the first ``max_bytes`` (and
    reads no further).  Raises :class:`FetchError` for a corrupt or unsupported encoding.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater = _Inflater(encoding, max_bytes, response.status_code, truncate=truncate)
    try:
        async for chunk in response.aiter_raw():
            inflater.feed(chunk)
        return inflater.finish()
    except _Full:
        return b"".join(inflater.parts)
    except zlib.error as exc:
        raise FetchError(f"corrupt {encoding} body: {exc}") from exc

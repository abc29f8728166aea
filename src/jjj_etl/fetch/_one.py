"""One page over HTTP with the crawler's defences (``jjj-etl parse URL``).

The same pieces as a crawl: :class:`PoliteTransport` caps the raw bytes while they stream
(and refuses a declared ``Content-Length`` past the cap before reading), and
:func:`read_body` inflates gzip / deflate under a cap on the decoded size, so a compression
bomb stops at the cap instead of filling memory.  No rate limit, no retries: one request.
"""

from __future__ import annotations

import asyncio

import httpx

from jjj_etl.errors import FetchError
from jjj_etl.fetch._polite import BodyTooLargeError, PoliteTransport, RetryPolicy, read_body

ACCEPT = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "Accept-Encoding": "gzip, deflate",  # what read_body can inflate under its byte cap
}


def fetch_page(
    url: str,
    *,
    max_bytes: int,
    timeout: float = 20.0,
    max_redirects: int = 5,
    user_agent: str | None = None,
) -> tuple[bytes, str, str | None]:
    """The decoded body, final URL and header charset of ``url`` (http or https).

    Raises FetchError once the body, raw or decoded, passes ``max_bytes`` (saying so), and
    for an HTTP error status, a network error or a corrupt encoding.
    """
    return asyncio.run(_fetch(url, max_bytes, timeout, max_redirects, user_agent))


async def _fetch(
    url: str, max_bytes: int, timeout: float, max_redirects: int, user_agent: str | None
) -> tuple[bytes, str, str | None]:
    polite = PoliteTransport(
        httpx.AsyncHTTPTransport(retries=0, trust_env=False),
        requests_per_second=None,
        concurrency=1,
        retry=RetryPolicy(max_retries=0, max_total_wait=0.0),
        max_raw_bytes=max_bytes + max_bytes // 50 + 4096,  # gzip framing, as in a crawl
        attempt_timeout=timeout * 3,
    )
    headers = {**ACCEPT, **({"User-Agent": user_agent} if user_agent else {})}
    client = httpx.AsyncClient(
        transport=polite,
        follow_redirects=True,
        max_redirects=max_redirects,
        timeout=httpx.Timeout(timeout),
        headers=headers,
        trust_env=False,
    )
    try:
        async with client, client.stream("GET", url) as response:
            if response.status_code >= 400:
                raise FetchError(f"cannot fetch {url}: HTTP {response.status_code}")
            body = await read_body(response, max_bytes)
            return body, str(response.url), response.charset_encoding
    except BodyTooLargeError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}; nothing was parsed") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from exc

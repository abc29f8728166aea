"""robots.txt, fetched once per origin per crawl through the crawl's own client, via Protego.

Outcomes follow RFC 9309: a 2xx body is parsed; a 4xx (404 …) means everything is allowed;
a 5xx or no answer at all means nothing is allowed for now.  ``file://`` URLs have no robots.
A ``Crawl-delay`` slows the host down in the :class:`PoliteTransport`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from protego import Protego

from jjj_etl.errors import FetchError
from jjj_etl.fetch._polite import PoliteTransport, read_body

__all__ = ["RobotsCache"]

_MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
_MAX_CRAWL_DELAY = 60.0


class _Verdict:
    """A parsed robots.txt, or a blanket allow/deny."""

    def __init__(self, rules: Protego | None, *, allow_all: bool) -> None:
        self.rules = rules
        self.allow_all = allow_all

    def allows(self, url: str, agent: str) -> bool:
        if self.rules is None:
            return self.allow_all
        return bool(self.rules.can_fetch(url, agent))


class RobotsCache:
    """Answers "may we fetch this URL?" for one crawl, fetching each robots.txt once."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        user_agent: str,
        polite: PoliteTransport | None = None,
        record: Callable[[httpx.Response, bytes], None] | None = None,
    ) -> None:
        self.client = client
        self.record = record
        self.agent = user_agent.split("/", 1)[0].strip() or "*"
        self.polite = polite
        self._verdicts: dict[str, _Verdict] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        """True if robots.txt of the URL's origin lets our user agent fetch it."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return True
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._verdicts:
                self._verdicts[origin] = await self._load(origin, parts.hostname or "")
        return self._verdicts[origin].allows(url, self.agent)

    async def _load(self, origin: str, host: str) -> _Verdict:
        try:
            async with self.client.stream(
                "GET", f"{origin}/robots.txt", follow_redirects=True
            ) as response:
                if response.status_code != 200:  # 4xx: no rules; 5xx: server trouble
                    self._keep(response, b"")
                    return _Verdict(None, allow_all=response.status_code < 500)
                body = await read_body(response, _MAX_ROBOTS_BYTES)
                self._keep(response, body)
        except FetchError:
            return _Verdict(None, allow_all=True)  # unreadable or huge: no usable rules
        except httpx.HTTPError:
            return _Verdict(None, allow_all=False)  # unreachable: RFC 9309 says assume disallow
        rules = Protego.parse(body.decode("utf-8", errors="replace"))
        return self._rules(rules, host)

    def _keep(self, response: httpx.Response, body: bytes) -> None:
        if self.record is not None:
            self.record(response, body)

    def _rules(self, rules: Protego, host: str) -> _Verdict:
        delay = rules.crawl_delay(self.agent)
        if delay and self.polite is not None:
            self.polite.set_min_interval(host, min(float(delay), _MAX_CRAWL_DELAY))
        return _Verdict(rules, allow_all=True)

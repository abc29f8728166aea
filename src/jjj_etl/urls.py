"""URLs in one normal form: what the crawler fetches, dedupes and files articles under.

Pure standard library, so the parser (which imports no network or database code) and the
crawler share it: a page's URL and the canonical URL it declares are compared, and an
article's id is derived (:func:`jjj_etl.staging.article_id`), in the same form.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

__all__ = ["canonical_url", "canonicalize_url"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = frozenset(
    {
        # ad and analytics click ids
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "ttclid", "igshid",
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "wt.mc_id", "cmpid", "ncid", "ref_src", "ref_url", "__twitter_impression",
        # Chinese portals, WeChat and Weibo shares
        "spm", "from", "scene", "isappinstalled", "clicktime", "enterid", "wfr", "share_token",
        "sharer_shareid", "sharer_sharetime", "share_from", "tt_from", "utm_campaign",
    }
)  # fmt: skip


def _clean_query(query: str) -> str:
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in _TRACKING
    ]
    return urlencode(sorted(pairs, key=lambda kv: kv[0]), quote_via=quote, safe="/:@!$'()*,;~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for absolute paths; other paths are returned as they are."""
    if not path.startswith("/") or not any(seg in (".", "..") for seg in path.split("/")):
        return path
    out: list[str] = []
    segments = path.split("/")[1:]
    for seg in segments:
        if seg == "..":
            if out:
                out.pop()
        elif seg != ".":
            out.append(seg)
    result = "/" + "/".join(out)
    if segments[-1] in (".", "..") and not result.endswith("/"):
        result += "/"
    return result


def canonicalize_url(url: str) -> str:
    """The canonical form of a URL, used to deduplicate pages.

    Drops the fragment and tracking parameters (``utm_*``, click ids such as ``fbclid``
    and ``gclid``, share markers such as ``spm``, ``from``, ``scene``, ``isappinstalled``),
    lowercases scheme and host, drops a default port, removes ``.``/``..`` path segments,
    sorts the query and gives an empty http(s) path as ``/``.  Idempotent.

    >>> canonicalize_url("HTTP://WWW.Example.COM:80/a?b=2&utm_source=x&a=1#top")
    'http://www.example.com/a?a=1&b=2'
    >>> canonicalize_url("http://h/x/../n/1.html?from=timeline&isappinstalled=0")
    'http://h/n/1.html'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: leave the authority as written
        port = None
        host = parts.netloc.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6 literal
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(parts.path) or ("/" if scheme in _DEFAULT_PORTS else "")
    if scheme == "file" and netloc == "localhost":
        netloc = ""
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def canonical_url(declared: str | None, base: str) -> str | None:
    """The canonical URL a page declares (``<link rel="canonical">`` or ``og:url``), resolved
    against the page's URL ``base`` and put in :func:`canonicalize_url` form, or None when
    there is none or it is no URL.

    >>> canonical_url("../a.html?utm_source=x#top", "http://h/b/c")
    'http://h/a.html'
    >>> canonical_url("  ", "http://h/") is None
    True
    """
    href = (declared or "").strip()
    if not href:
        return None
    try:
        return canonicalize_url(urljoin(base, href))
    except ValueError:  # e.g. an unclosed IPv6 bracket in the host
        return None

"""A synthetic news site for the benchmark: N article pages plus paginated listing pages.

The pages copy the layouts of the bundled sample site (``src/jjj_etl/samples/site``): an
English china.org.cn-like portal (two body containers), and a Chinese channel with People's
Daily-like (``div.rm_txt_con``) and Xinhua-like (``div#detail``) pages, about half of them
GB18030 bytes (about 20 % of all pages).  Each article page is 40-80 KB with realistic chrome
(inline CSS and scripts, mega-menus, share bars, related and most-read boxes with numbers in
their headlines, footers with phone and licence numbers) around a body of 40-80 figures (long sentences with several figures) built
from sentence templates the catalog in ``sql/seeds/indicators.csv`` recognises.  Most pages
carry a relevance keyword; about 3 % are off-topic (no keyword in title or body).

Everything is deterministic from the seed: each page has its own ``random.Random`` seeded
with ``f"{seed}:{i}"``, file modification times are fixed, so two runs write identical bytes
and the server's ETag / Last-Modified are identical too.

    python bench/corpus.py --pages 1000 --seed 7 --out /tmp/corpus
"""

# ruff: noqa: E501, S311  (long HTML/text templates; random here is for test data, not secrets)
from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

__all__ = ["CorpusInfo", "generate"]

LISTING_PAGE_SIZE = 50
ZH_SHARE = 0.4  # Chinese articles; half of them GB18030 bytes
GB18030_SHARE_OF_ZH = 0.5
OFF_TOPIC_SHARE = 0.03
MIN_BYTES, MAX_BYTES = 40_000, 80_000
MIN_FIGURES, MAX_FIGURES = 40, 80  # real articles carry 40-80 figures a page
BASE_DATE = date(2016, 1, 1)
DATE_SPAN_DAYS = 3650  # articles report on ten different years
CONFLICT_SHARE = 0.002  # a sentence misreports its figure (a real conflict)
MTIME = datetime(2025, 4, 30, 12, 0, tzinfo=UTC).timestamp()


@dataclass
class CorpusInfo:
    """What :func:`generate` wrote (also saved as ``manifest.json`` in the corpus root)."""

    seed: int
    pages: int
    root: str
    start_path: str = "/index.html"
    listings: list[str] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    bytes_total: int = 0
    seconds: float = 0.0

    def urls(self) -> list[str]:
        """Every page path: start, listings, articles."""
        return [self.start_path, *self.listings, *self.articles]


# --------------------------------------------------------------------------- text pieces

_EN_FILLER = (
    "Officials credited the progress to a shared list of technology needs published by the "
    "three places and to pilot zones where results from Beijing laboratories are tested.",
    "Research teams that once looked for partners only within the city now scout the whole "
    "region for pilot plants, suppliers and buyers.",
    "Analysts said the coordination has moved from single projects to a system of shared "
    "rules, markets and services.",
    "Local governments have also aligned approval procedures so that a company licensed in "
    "one place can operate in the other two without applying again.",
    "Executives interviewed at the forum said talent, capital and data now flow more freely "
    "between the capital and its neighbours than they did a decade ago.",
    "The commission said it would publish a new list of technology needs later this year and "
    "invite universities to take part.",
    "Transport links have improved as well, with intercity rail cutting travel times between "
    "the main cities of the region.",
    "Manufacturers in Baoding, Langfang and Cangzhou have turned laboratory results from the "
    "capital into products for national markets.",
)
_EN_OFF_TOPIC = (
    "Container lines added capacity on routes to Southeast Asia as spring demand picked up.",
    "Port operators in Guangdong said automation helped them handle the extra volume.",
    "Shipping analysts expect freight rates to stay firm through the summer months.",
    "Shenzhen and Guangzhou continue to compete for transshipment business in the south.",
)
_ZH_FILLER = (
    "北京的科技成果正在加速走出实验室，在津冀两地落地转化。",
    "三地将进一步完善科技成果转化对接机制，推动创新链与产业链深度融合。",
    "业内人士认为，协同创新共同体建设正从项目合作走向体系融合。",
    "下一步要在人才、资本、数据等要素的自由流动上下功夫。",
    "一批高校、医院和央企总部项目正在加快建设。",
    "城际铁路加密开行，区域主要城市之间的通行时间进一步缩短。",
    "保定、廊坊、沧州等地的制造企业承接了大量来自首都的研发成果。",
)
_ZH_OFF_TOPIC = (
    "今年一季度，广东沿海港口集装箱吞吐量保持增长，多条航线加密班次。",
    "深圳和广州港口继续加大自动化码头建设力度。",
    "航运分析人士预计，夏季运价将保持稳定。",
)


class _Truth:
    """Frozen draws of one (seed, key, year): the same numbers every time it is asked."""

    def __init__(self, seed: int, key: str, year: int) -> None:
        self.u = random.Random(f"{seed}:{key}:{year}").random()

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.u

    def randint(self, lo: int, hi: int) -> int:
        return lo + int((hi - lo + 1) * self.u)


@functools.lru_cache(maxsize=65536)
def _truth(seed: int, key: str, year: int) -> _Truth:
    return _Truth(seed, key, year)


class _Facts:
    """The true value of each (indicator, year), the same on every page of a corpus.

    Newspapers repeat the same official figure; a page misreports one with probability
    ``CONFLICT_SHARE``, so the warehouse sees a few real conflicts, not random noise.
    """

    def __init__(self, seed: int, year: int, r: random.Random) -> None:
        self.seed, self.year, self.r = seed, year, r

    def uniform(self, key: str, lo: float, hi: float, year: int | None = None) -> float:
        """A float fact of ``year`` (default: the article's year; 0: timeless)."""
        value = _truth(self.seed, key, self.year if year is None else year).uniform(lo, hi)
        return value * 1.07 if self.r.random() < CONFLICT_SHARE else value

    def randint(self, key: str, lo: int, hi: int, year: int | None = None) -> int:
        """An integer fact of ``year`` (default: the article's year; 0: timeless)."""
        value = _truth(self.seed, key, self.year if year is None else year).randint(lo, hi)
        return value + max(1, value // 10) if self.r.random() < CONFLICT_SHARE else value


def _en_sentences(f: _Facts, year: int) -> list[tuple[str, int]]:
    """(sentence, number of figures in it) for an on-topic English article.

    Every figure names its year, and its value is the fact of that year (shared with the
    Chinese templates), so repeated reports agree and the warehouse sees few conflicts.
    """
    y0, prev = 2013, year - 1
    tc = f.uniform("tc", 20, 99)
    return [
        (
            f"Technology contracts flowing from Beijing to Tianjin and Hebei were worth "
            f"{tc:.2f} billion yuan (${tc / 7.16:.2f} billion) in {year}, "
            f"up {f.uniform('tcp', 1, 19):.1f}% year on year.",
            3,
        ),
        (
            f"Firms from Zhongguancun had opened more than {f.randint('br', 6, 12) * 1000:,} "
            f"branches and subsidiaries in Tianjin and Hebei by the end of {year}.",
            1,
        ),
        (
            f"R&D intensity of the Beijing-Tianjin-Hebei region rose to "
            f"{f.uniform('rd', 4, 4.5, prev):.2f} percent in {prev}, "
            f"{f.uniform('rdgap', 1.2, 1.8, prev):.2f} percentage points above the national "
            f"average in {prev}.",
            2,
        ),
        (
            f"The Binhai-Zhongguancun Science Park in Tianjin had more than "
            f"{f.randint('bh', 40, 70) * 100:,} registered companies at the end of {year}.",
            1,
        ),
        (
            f"The regional economy grew {f.uniform('gdpg', 4, 6):.1f}% in {year}, with "
            f"combined GDP of about {f.uniform('gdp', 10, 12):.1f} trillion yuan in {year}.",
            2,
        ),
        (
            f"In {year}, a {f.randint('fund', 2, 9)} billion yuan coordination fund drew more "
            f"than {f.randint('pc', 20, 60)} billion yuan of private capital.",
            2,
        ),
        (
            f"By the end of {year}, the three places had standardized "
            f"{f.randint('ftz', 150, 300)} free trade zone policies.",
            1,
        ),
        (
            f"The region counted {f.randint('ht', 20, 40) * 1000:,} high-tech enterprises at "
            f"the end of {year}.",
            1,
        ),
        (
            f"Since {y0}, technology contracts have grown at an average annual rate of "
            f"{f.randint('tcavg', 10, 30, 0)} percent.",
            1,
        ),
        (
            f"In {year}, Beijing's GDP reached {f.uniform('gdpbj', 4, 5):.2f} trillion yuan, up "
            f"{f.uniform('gdpbjg', 4, 6):.1f} percent, Tianjin's {f.uniform('gdptj', 1.5, 1.8):.2f} "
            f"trillion yuan, up {f.uniform('gdptjg', 4, 6):.1f} percent, and Hebei's "
            f"{f.uniform('gdphe', 4, 4.6):.2f} trillion yuan, up {f.uniform('gdpheg', 4, 6):.1f} percent.",
            6,
        ),
        (
            f"In the first three quarters of {year}, Tianjin Port handled "
            f"{f.uniform('teu', 15, 18):.1f} million TEUs of containers, up "
            f"{f.uniform('teug', 1, 9):.1f}% year on year, while its cargo throughput rose "
            f"{f.uniform('cargog', 1, 6):.1f}% to {f.randint('cargo', 350, 420)} million tonnes and "
            f"rail-sea shipments accounted for {f.uniform('railsea', 10, 20):.1f} percent of the total.",
            5,
        ),
        (
            f"Xiong'an New Area took in {f.randint('xamove', 100, 300)} firms relocated from Beijing "
            f"in {year}, with investment of {f.randint('xainv', 50, 90)} billion yuan, and its "
            f"{f.randint('xaproj', 200, 400)} key projects employed about "
            f"{f.randint('xajobs', 100, 200) * 1000:,} workers at the end of {year}.",
            4,
        ),
    ]


def _zh_sentences(f: _Facts, year: int) -> list[tuple[str, int]]:
    """(sentence, number of figures in it) for an on-topic Chinese article (same facts)."""
    prev = year - 1
    return [
        (
            f"{year}年，北京流向津冀技术合同成交额达{10 * f.uniform('tc', 20, 99):.1f}亿元，"
            f"同比增长{f.uniform('tcp', 1, 19):.1f}%。",
            2,
        ),
        (f"截至{year}年底，中关村企业在津冀设立的分支机构超{f.randint('br', 6, 12)}千家。", 1),
        (
            f"{prev}年京津冀区域研发投入强度达到{f.uniform('rd', 4, 4.5, prev):.2f}%，"
            f"高出全国平均水平{f.uniform('rdgap', 1.2, 1.8, prev):.2f}个百分点。",
            2,
        ),
        (
            f"截至{year}年底，滨海—中关村科技园注册企业已超过{f.randint('bh', 40, 70) * 100}家。",
            1,
        ),
        (
            f"{year}年京津冀地区生产总值约{f.uniform('gdp', 10, 12):.1f}万亿元，"
            f"同比增长{f.uniform('gdpg', 4, 6):.1f}%。",
            2,
        ),
        (
            f"{year}年，协同发展基金规模{10 * f.randint('fund', 2, 9)}亿元，"
            f"撬动社会资本逾{10 * f.randint('pc', 20, 60)}亿元。",
            2,
        ),
        (f"截至{year}年底，三地已推动{f.randint('ftz', 150, 300)}项自贸试验区政策统一。", 1),
        (
            f"{year}年，北京、天津、河北地区生产总值分别为{f.uniform('gdpbj', 4, 5):.2f}万亿元、"
            f"{f.uniform('gdptj', 1.5, 1.8):.2f}万亿元和{f.uniform('gdphe', 4, 4.6):.2f}万亿元，"
            f"分别增长{f.uniform('gdpbjg', 4, 6):.1f}%、{f.uniform('gdptjg', 4, 6):.1f}%和"
            f"{f.uniform('gdpheg', 4, 6):.1f}%。",
            6,
        ),
        (
            f"{year}年前三季度，天津港集装箱吞吐量完成{10 * f.uniform('teu', 15, 18):.0f}万标准箱，"
            f"同比增长{f.uniform('teug', 1, 9):.1f}%；货物吞吐量{f.randint('cargo', 350, 420) / 100:.2f}亿吨，"
            f"增长{f.uniform('cargog', 1, 6):.1f}%。",
            4,
        ),
        (
            f"截至{year}年底，雄安新区累计承接北京疏解企业{f.randint('xamove', 100, 300)}家，"
            f"完成投资{10 * f.randint('xainv', 50, 90)}亿元，在建重点项目{f.randint('xaproj', 200, 400)}个。",
            3,
        ),
    ]


def _off_topic_sentences(r: random.Random, zh: bool) -> list[tuple[str, int]]:
    if zh:
        return [
            (f"广东港口集装箱吞吐量同比增长{r.uniform(2, 9):.1f}%。", 1),
            (f"深圳港完成货物吞吐量{r.randint(2, 3)}亿吨，同比增长{r.uniform(1, 5):.1f}%。", 2),
        ]
    return [
        (f"Container throughput at Guangdong ports rose {r.uniform(2, 9):.1f} percent.", 1),
        (
            f"Shenzhen port handled {r.randint(200, 300)} million tonnes of cargo, up "
            f"{r.uniform(1, 5):.1f}% from a year earlier.",
            2,
        ),
    ]


def _body_paragraphs(
    r: random.Random, seed: int, zh: bool, off_topic: bool, year: int
) -> list[str]:
    """Paragraphs holding 40-80 figures (by template count) and filler sentences."""
    want = r.randint(MIN_FIGURES, MAX_FIGURES)
    filler = (_ZH_OFF_TOPIC if off_topic else _ZH_FILLER) if zh else _EN_OFF_TOPIC
    if not zh and not off_topic:
        filler = _EN_FILLER
    paragraphs: list[str] = []
    got = 0
    while got < want:
        if off_topic:
            pool = _off_topic_sentences(r, zh)
        else:
            facts = _Facts(seed, year, r)
            pool = _zh_sentences(facts, year) if zh else _en_sentences(facts, year)
        para: list[str] = []
        for _ in range(r.randint(2, 3)):
            text, n = r.choice(pool)
            para.append(text)
            got += n
        para.insert(r.randint(0, len(para)), r.choice(filler))
        paragraphs.append(("" if zh else " ").join(para))
    return paragraphs


# --------------------------------------------------------------------------- chrome

_CSS = "\n".join(
    f".c{i}{{margin:{i % 7}px 0 {i % 5}px 0;font-size:{11 + i % 6}px;color:#{(i * 2654435761) & 0xFFFFFF:06x};}}"
    for i in range(160)
)
_MENU_EN = " ".join(
    f'<a href="#" class="m{i}">{w} {i}</a>'
    for i, w in enumerate(
        ["Economy", "Companies", "Markets", "Trade", "Regions", "Forum", "Opinion", "Photos"] * 18
    )
)
_MENU_ZH = " ".join(
    f'<a href="#" class="m{i}">{w}{i}</a>'
    for i, w in enumerate(["要闻", "财经", "区域", "科技", "评论", "图片", "视频", "专题"] * 18)
)
_FOOTER_LINKS = " | ".join(f'<a href="#">Partner site {i}</a>' for i in range(60))
_MOSTREAD_EN = [
    "Beijing-Tianjin-Hebei GDP tops 11 trillion yuan",
    "10 things to know about the 2025 Zhongguancun Forum",
    "Top 5 tech trends at the forum",
    "Photos: spring blossoms in Xiong'an",
    "Hebei steel output falls 3.2% as plants upgrade",
    "Tianjin port handles 23 million TEUs",
]
_MOSTREAD_ZH = [
    "1 京津冀协同发展迈上新台阶",
    "2 中关村论坛年会开幕 聚焦前沿科技",
    "3 雄安新区建设进入新阶段",
    "4 天津港集装箱吞吐量突破2300万标准箱",
]
_JS_CHUNK = (
    "(function(w,d){var q=w._q=w._q||[];q.push(['page',{ch:'business',id:%d,"
    "slot:'ad-%d',size:[300,250],kv:{sec:'regions',pos:%d}}]);})(window,document);\n"
)


def _padding_script(r: random.Random, nbytes: int) -> bytes:
    """Inline ad/analytics script (ASCII) of about ``nbytes`` bytes."""
    if nbytes <= 0:
        return b""
    out: list[str] = ['<script type="text/javascript">\n']
    size = len(out[0]) + 10
    base = r.randint(1, 10**6)
    i = 0
    while size < nbytes:
        line = _JS_CHUNK % (base + i, i, i % 9)
        out.append(line)
        size += len(line)
        i += 1
    out.append("</script>\n")
    return "".join(out).encode("ascii")


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class _Meta:
    index: int
    path: str
    title: str
    zh: bool
    gb18030: bool
    off_topic: bool
    day: date
    layout: int


def _article_meta(seed: int, i: int) -> _Meta:
    r = random.Random(f"{seed}:meta:{i}")
    zh = r.random() < ZH_SHARE
    gb = zh and r.random() < GB18030_SHARE_OF_ZH
    off = r.random() < OFF_TOPIC_SHARE
    day = BASE_DATE + timedelta(days=r.randint(0, DATE_SPAN_DAYS))
    doc_id = 117_000_000 + i
    if zh:
        suffix = "htm" if gb else r.choice(("htm", "html"))
        path = f"/chinese/{day:%Y-%m}/{day:%d}/content_{doc_id}.{suffix}"
        title = (
            f"广东港口一季度吞吐量增长 {i}"
            if off
            else r.choice(
                (
                    "北京流向津冀技术合同成交额再创新高",
                    "京津冀区域研发投入强度持续提高",
                    "雄安新区建设进入新阶段",
                    "中关村企业加快在津冀布局",
                )
            )
            + f"（{i}）"
        )
    else:
        channel = r.choice(("business", "forum"))
        path = f"/{channel}/{day:%Y-%m}/{day:%d}/content_{doc_id}.html"
        title = (
            f"Guangdong ports see busy spring as container lines add capacity ({i})"
            if off
            else r.choice(
                (
                    "Beijing's technology deals with Tianjin, Hebei climb again",
                    "Jing-Jin-Ji R&D intensity keeps rising",
                    "Zhongguancun firms expand into Tianjin and Hebei",
                    "Xiong'an New Area construction in full swing",
                )
            )
            + f" ({i})"
        )
    return _Meta(i, path, title, zh, gb, off, day, r.randint(0, 1))


def _rel(path: str) -> str:
    """Relative prefix from an article path back to the site root (``../../../``)."""
    return "../" * (path.count("/") - 1)


def _related(r: random.Random, metas: list[_Meta], me: _Meta, up: str) -> str:
    picks = [metas[r.randrange(len(metas))] for _ in range(6)]
    return "\n".join(
        f'<li><a href="{up}{m.path.lstrip("/")}">{m.title}</a></li>'
        for m in picks
        if m.index != me.index and m.zh == me.zh
    )


def _en_article(r: random.Random, seed: int, me: _Meta, metas: list[_Meta]) -> tuple[str, str]:
    """(head+top, rest) of an English page; padding goes between them."""
    up = _rel(me.path)
    when = datetime(me.day.year, me.day.month, me.day.day, r.randint(7, 22), r.randint(0, 59))
    paras = _body_paragraphs(r, seed, zh=False, off_topic=me.off_topic, year=me.day.year - 1)
    ptags = "\n".join(f"<p>{p}</p>" for p in paras)
    published = (
        f'<meta property="article:published_time" content="{when:%Y-%m-%dT%H:%M:00}+08:00" />'
        if r.random() < 0.5
        else ""
    )
    kw = "" if me.off_topic else "Beijing-Tianjin-Hebei, Zhongguancun, "
    if me.layout == 0:
        body = (
            f'<div id="articleBody">\n<table width="600"><tr><td class="picCaption">A visitor at the '
            f"exhibition area, {when:%B} {me.day.day}, {me.day.year}. [Photo/Xinhua]</td></tr>"
            f'</table>\n{ptags}\n<p style="text-align:right;">Editor: Wang Lin</p>\n</div>'
        )
    else:
        body = (
            f'<div id="contentMain"><div class="content">\n{ptags}\n'
            '<p class="editor">Editor: Li Na</p>\n</div></div>'
        )
    head = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{me.title} - North China Business Net</title>
<meta name="keywords" content="{kw}business, regions" />
{published}
<link rel="canonical" href="{up}{me.path.lstrip("/")}" />
<link rel="stylesheet" type="text/css" href="{up}css/ncbn.css" />
<style type="text/css">
{_CSS}
</style>
<script type="text/javascript">
var ncbn_page = {{channel: "business", docId: "{117_000_000 + me.index}", pubDate: "{me.day:%Y%m%d}", version: 3}};
</script>
"""
    rest = f"""</head>
<body>
<div id="topBar"><a href="{up}index.html"><img src="{up}images/logo.png" width="190" height="40" alt="North China Business Net" /></a>
<span class="topNav"><a href="{up}index.html">Home</a> | <a href="{up}chinese/index.htm">中文</a> | <a href="{up}about.html">About Us</a></span></div>
<div id="channelNav" class="nav">{_MENU_EN}</div>
<div class="crumb"><a href="{up}index.html">Home</a> &gt; Business &gt; Regions</div>
<table width="960" border="0" cellspacing="0" cellpadding="0" align="center"><tr>
<td valign="top" width="650">
<h1 class="artTitle">{me.title}</h1>
<div id="artInfo">Source: Xinhua | {when:%B} {me.day.day}, {me.day.year}</div>
<div id="shareBar">Tools: <a href="javascript:window.print();">Print</a> <a href="mailto:?subject=NCBN">E-mail</a> | <a href="#comments">{r.randint(0, 40)} Comment(s)</a> | <a href="#">Go to Forum</a></div>
{body}
<div id="comments"><b>0 Comment(s)</b> | <a href="#">Go to Forum</a></div>
</td>
<td valign="top" width="290">
<div class="related"><h3>Related stories</h3>
<ul>
{_related(r, metas, me, up)}
</ul></div>
<div class="mostread"><h3>Most viewed</h3>
<ol>
{"".join(f"<li>{t}</li>" for t in _MOSTREAD_EN)}
</ol></div>
</td>
</tr></table>
<div id="footer">
<p>{_FOOTER_LINKS}</p>
<p>Copyright &copy; 2025 North China Business Net. All Rights Reserved.</p>
<p>Tel: 86-10-6832 6688 &nbsp; Fax: 86-10-6832 6690 &nbsp; 京ICP证040089号</p>
</div>
"""
    return head, rest


def _zh_article(r: random.Random, seed: int, me: _Meta, metas: list[_Meta]) -> tuple[str, str]:
    up = _rel(me.path)
    when = datetime(me.day.year, me.day.month, me.day.day, r.randint(7, 22), r.randint(0, 59))
    paras = _body_paragraphs(r, seed, zh=True, off_topic=me.off_topic, year=me.day.year - 1)
    charset = "GB2312" if me.gb18030 and me.layout == 0 else ("gbk" if me.gb18030 else "utf-8")
    kw = "" if me.off_topic else "京津冀,中关村,"
    related = _related(r, metas, me, up)
    mostread = "".join(f"<li>{t}</li>" for t in _MOSTREAD_ZH)
    if me.layout == 0:  # People's Daily
        ptags = "\n".join(f'<p style="text-indent: 2em;">{p}</p>' for p in paras)
        head = f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}" />
<title>{me.title}--区域经济--北方商务网</title>
<meta name="keywords" content="{kw}区域经济" />
<link rel="canonical" href="{up}{me.path.lstrip("/")}" />
<style type="text/css">
{_CSS}
</style>
"""
        rest = f"""</head>
<body>
<div class="top_nav"><div class="w1000">{_MENU_ZH}</div></div>
<div class="w1000 route"><a href="{up}chinese/index.htm">北方商务网</a>&gt;&gt;<a href="{up}chinese/index.htm">区域经济</a></div>
<div class="w1000 clearfix text_title">
<h1>{me.title}</h1>
<p class="author">本报记者　陈晓明</p>
<div class="box01"><div class="fl">{when:%Y}年{when:%m}月{when:%d}日{when:%H:%M} | 来源：<a href="#">人民网－人民日报</a></div><div class="fr"><div class="fx">分享到：<a href="#">微信</a> <a href="#">微博</a></div></div></div>
</div>
<div class="w1000 clearfix text_con">
<div class="fl text_con_left">
<div class="rm_txt_con cf">
{ptags}
<p style="text-indent: 2em;">《 人民日报 》（ {when:%Y}年{when:%m}月{when:%d}日　10 版）</p>
<div class="edit cf">（责任编辑：刘洋、赵静）</div>
</div>
<div class="box_share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="rm_relevant"><h2>相关新闻</h2>
<ul>
{related}
</ul></div>
</div>
<div class="fr text_con_right"><h2>热点排行</h2>
<ol>{mostread}</ol></div>
</div>
<div class="footer w1000">
<p>北方商务网版权所有，未经书面授权禁止使用</p>
<p>京ICP证040089号　电话：010-68326688</p>
</div>
"""
    else:  # Xinhua
        ptags = "\n".join(f"<p>{p}</p>" for p in paras)
        head = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="{charset}">
<title>{me.title}-北方商务网</title>
<meta name="keywords" content="{kw}研发投入强度">
<link rel="canonical" href="{up}{me.path.lstrip("/")}">
<style>
{_CSS}
</style>
"""
        rest = f"""</head>
<body>
<div class="topbar"><a href="{up}chinese/index.htm">北方商务网首页</a> | <a href="{up}index.html">English</a></div>
<div class="header"><div class="nav">{_MENU_ZH}</div>
<div class="head-line">
<h1><span class="title">{me.title}</span></h1>
<div class="info"><span class="h-time">{when:%Y}年{when:%m}月{when:%d}日 {when:%H:%M:%S}</span>　<span class="source">来源：新华网</span></div>
</div></div>
<div class="main clearfix"><div class="main-left">
<div id="detail">
{ptags}
</div>
<div id="articleEdit"><span class="editor">【责任编辑：王琳】</span></div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="related"><h3>相关稿件</h3>
<ul>
{related}
</ul></div>
</div></div>
<div class="foot"><p>京ICP证040089号 | 违法和不良信息举报电话：010-68326699</p><ol>{mostread}</ol></div>
"""
    return head, rest


_TAIL = b"</body>\n</html>\n"


def _article_bytes(seed: int, me: _Meta, metas: list[_Meta]) -> bytes:
    r = random.Random(f"{seed}:page:{me.index}")
    head, rest = (_zh_article if me.zh else _en_article)(r, seed, me, metas)
    encoding = "gb18030" if me.gb18030 else "utf-8"
    head_b, rest_b = head.encode(encoding), rest.encode(encoding)
    target = r.randint(MIN_BYTES, MAX_BYTES)
    pad = _padding_script(r, target - len(head_b) - len(rest_b) - len(_TAIL))
    return head_b + pad + rest_b + _TAIL


def _listing(
    channel: str, zh: bool, page: int, n_pages: int, items: list[_Meta], ext: str
) -> bytes:
    name = "index" if page == 1 else f"index_{page}"

    def href(p: int) -> str:
        return f"index.{ext}" if p == 1 else f"index_{p}.{ext}"

    window = sorted(
        {1, n_pages, *range(max(1, page - 4), min(n_pages, page + 4) + 1)}
        | set(range(10, n_pages + 1, 10))
    )
    pager = " ".join(
        f'<span class="current">{p}</span>' if p == page else f'<a href="{href(p)}">{p}</a>'
        for p in window
    )
    if page < n_pages:
        pager += f' <a href="{href(page + 1)}" rel="next">Next &raquo;</a>'
    lis = "\n".join(
        f'<li><a href="../{m.path.lstrip("/")}">{m.title}</a>'
        f'<span class="date">{m.day.isoformat()}</span></li>'
        for m in items
    )
    title = "区域经济" if zh else "Business - Regions: Beijing-Tianjin-Hebei"
    html = f"""<!DOCTYPE html>
<html lang="{"zh-CN" if zh else "en"}">
<head><meta charset="utf-8"><title>{title} ({name}) - North China Business Net</title>
<style>{_CSS}</style></head>
<body>
<div id="topBar"><a href="../index.html">Home</a> | <a href="../about.html">About Us</a></div>
<div id="channelNav" class="nav">{_MENU_ZH if zh else _MENU_EN}</div>
<h2>{channel}</h2>
<ul class="list">
{lis}
</ul>
<div class="pager">{pager}</div>
<div id="footer"><p>{_FOOTER_LINKS}</p><p>Copyright &copy; 2025 North China Business Net.</p></div>
</body>
</html>
"""
    return html.encode("utf-8")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))


def generate(out: str | Path, pages: int, seed: int = 7) -> CorpusInfo:
    """Write a corpus of ``pages`` article pages (+ listings) under ``out`` (replaced)."""
    started = time.perf_counter()
    root = Path(out)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    metas = [_article_meta(seed, i) for i in range(pages)]
    info = CorpusInfo(seed=seed, pages=pages, root=str(root))
    counts = {"en": 0, "zh": 0, "gb18030": 0, "off_topic": 0, "listings": 0}
    total = 0
    for me in metas:
        data = _article_bytes(seed, me, metas)
        _write(root / me.path.lstrip("/"), data)
        info.articles.append(me.path)
        counts["zh" if me.zh else "en"] += 1
        counts["gb18030"] += me.gb18030
        counts["off_topic"] += me.off_topic
        total += len(data)
    channels = (("business", False, "html"), ("chinese", True, "htm"))
    firsts = []
    for channel, zh, ext in channels:
        items = sorted((m for m in metas if m.zh == zh), key=lambda m: (m.day, m.index))[::-1]
        n_pages = max(1, -(-len(items) // LISTING_PAGE_SIZE))
        for page in range(1, n_pages + 1):
            chunk = items[(page - 1) * LISTING_PAGE_SIZE : page * LISTING_PAGE_SIZE]
            name = f"index.{ext}" if page == 1 else f"index_{page}.{ext}"
            data = _listing(channel, zh, page, n_pages, chunk, ext)
            _write(root / channel / name, data)
            info.listings.append(f"/{channel}/{name}")
            total += len(data)
        firsts.append(f"{channel}/index.{ext}")
    home = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>North China Business Net</title></head><body>"
        + "".join(f'<p><a href="{f}">{f}</a></p>' for f in firsts)
        + '<p><a href="about.html">About Us</a></p></body></html>\n'
    ).encode()
    _write(root / "index.html", home)
    _write(root / "about.html", b"<html><body><p>About us. Tel 86-10-6832 6688</p></body></html>")
    _write(root / "robots.txt", b"User-agent: *\nDisallow: /private/\n")
    counts["listings"] = len(info.listings)
    info.counts, info.bytes_total = counts, total + len(home)
    info.seconds = time.perf_counter() - started
    (root / "manifest.json").write_text(json.dumps(asdict(info)), encoding="utf-8")
    return info


def load_info(root: str | Path) -> CorpusInfo:
    """The :class:`CorpusInfo` saved by :func:`generate`."""
    data = json.loads((Path(root) / "manifest.json").read_text(encoding="utf-8"))
    return CorpusInfo(**data)


def main() -> None:
    """Command line: write a corpus and print its summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    info = generate(args.out, args.pages, args.seed)
    print(
        f"{info.pages} articles + {len(info.listings)} listings, "
        f"{info.bytes_total / 1e6:.1f} MB, {info.counts}, {info.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()

"""jjj-etl: Beijing–Tianjin–Hebei news → figures → a versioned DuckDB warehouse.

The library is usable without Prefect; ``flows/`` orchestrates it.

>>> from jjj_etl import extract_figures
>>> [f.value for f in extract_figures("Exports rose 5.2% in 2024.", "en")]
[5.2]
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("jjj-etl")
except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0.0.0+unknown"

from jjj_etl.config import Config, Source, load_config
from jjj_etl.errors import ConfigError, JjjError, RunError, UsageError
from jjj_etl.parse import extract_figures, parse_article
from jjj_etl.records import Article, FetchedPage, Figure, ParsedPage

__all__ = [
    "Article",
    "Config",
    "ConfigError",
    "FetchedPage",
    "Figure",
    "JjjError",
    "ParsedPage",
    "RunError",
    "Source",
    "UsageError",
    "__version__",
    "extract_figures",
    "load_config",
    "parse_article",
]

"""The known state handed to the extract task: cheap for Prefect to look through, picklable."""

from __future__ import annotations

import pickle

from prefect.utilities.collections import visit_collection

from jjj_etl.fetch import Validators
from jjj_etl.pipeline import FrozenMap, KnownState


def _known(n: int) -> KnownState:
    return KnownState(
        {f"http://x.test/{i}.html": Validators(etag=f'"{i}"') for i in range(n)},
        frozenset((f"{i:064x}", "1") for i in range(n)),
    )


def _visits(value: object) -> int:
    seen: list[object] = []
    visit_collection(value, visit_fn=seen.append, return_data=False)
    return len(seen)


def test_prefect_does_not_walk_every_url_of_the_known_state() -> None:
    # Prefect visits task parameters looking for futures: the visit must not grow with URLs
    assert _visits(_known(10)) == _visits(_known(5000))
    assert _visits({"a": _known(10)}) < 10


def test_known_state_reads_like_a_mapping_and_survives_pickling() -> None:
    known = _known(3)
    assert isinstance(known.validators, FrozenMap)
    assert known.validators.get("http://x.test/1.html") == Validators(etag='"1"')
    assert known.validators.get("http://x.test/9.html") is None
    assert len(known.validators) == 3
    assert sorted(known.validators)[0] == "http://x.test/0.html"
    again = pickle.loads(pickle.dumps(known))  # noqa: S301 - our own bytes, as task runners do
    assert again == known
    assert isinstance(again.validators, FrozenMap)
    assert KnownState().validators == {}

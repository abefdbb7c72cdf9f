"""A saved filter's query is re-encoded and refused with control characters, so redirecting to it never fails."""

from __future__ import annotations

from engine.bootstrap import Services
from tests.integration.webclient import make_app, signed_in


def _saved(world: Services) -> list[tuple[str, str]]:
    with world.db.transaction(write=False) as tx:
        return [(r[0], r[1]) for r in tx.all("SELECT name, query FROM saved_filters ORDER BY id")]


def test_a_filter_query_with_cr_or_lf_is_refused_and_nothing_is_saved(world: Services) -> None:
    clerk = signed_in(make_app(world), "clerk")
    for query in ("view=mine\r\nX-Injected: 1", "view=mine\n&q=x", "q=%0d%0aSet-Cookie:x", "q=a%09b", "q=%7f"):
        answer = clerk.post("/inbox/filters", {"name": "坏的", "query": query})
        assert answer.status_code == 422, (query, answer.status_code)
    assert _saved(world) == []


def test_a_filter_query_is_saved_re_encoded_and_redirects_to_the_inbox(world: Services) -> None:
    clerk = signed_in(make_app(world), "clerk")
    answer = clerk.post("/inbox/filters", {"name": "我的", "query": "?view=mine&q=王 某&due="})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/inbox?view=mine&q=%E7%8E%8B+%E6%9F%90&due=")
    assert _saved(world) == [("我的", "view=mine&q=%E7%8E%8B+%E6%9F%90&due=")]
    assert clerk.get(answer.headers["Location"]).status_code == 200

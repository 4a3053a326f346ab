"""PostgreSQL's change feed (store/changefeed.py): what any process commits moves
each listener's generation without a query of its own; a listener that lost its
connection answers nothing again until it is back, then starts afresh."""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from postgres import postgres_server
from vlcmsim.store.changefeed import CHANNEL, TRIGGER
from vlcmsim.store.db import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with postgres_server() as url:
        opened = Store.open(url, tmp_path_factory.mktemp("data"))
        yield opened
        opened.dispose()


def plain(store: Store) -> str:
    return store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def moves(feed: object, before: Hashable, seconds: float = 5.0) -> Hashable:
    deadline = time.monotonic() + seconds
    while (now := feed.generation()) == before:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the generation did not move"
        time.sleep(0.01)
    return now


def test_every_table_but_the_heartbeats_notifies_its_changes(store: Store) -> None:
    with store.engine.connect() as conn:
        notifying = set(
            conn.execute(
                text("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = :n"),
                {"n": TRIGGER},
            ).scalars()
        )
    assert {"sessions", "drafts", "commits", "hosts", "depots", "cluster_reports", "tasks"} <= notifying
    assert "workers" not in notifying


def test_a_commit_of_another_process_moves_the_generation_and_a_read_does_not(store: Store) -> None:
    feed = store.change_feed()
    assert feed is not None
    standing = feed.generation()
    with psycopg.connect(plain(store), autocommit=True) as other:
        other.execute("SELECT count(*) FROM sessions")
        time.sleep(0.2)
        assert feed.generation() == standing  # reads change nothing
        other.execute("UPDATE counters SET value = value WHERE name = 'nothing'")  # a statement, no row
        moved = moves(feed, standing)
    assert feed.generation() == moved


def test_a_commit_of_this_process_moves_the_generation_at_once(store: Store) -> None:
    feed = store.change_feed()
    assert feed is not None
    standing = feed.generation()
    with store.engine.begin() as conn:
        Store.bump(conn, "feed-test")
    assert feed.generation() != standing  # counted as the commit returned, not when heard


def test_a_lost_listener_answers_nothing_again_until_it_is_back(store: Store) -> None:
    feed = store.change_feed()
    assert feed is not None
    before = feed.generation()
    with psycopg.connect(plain(store), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s", (f"LISTEN {CHANNEL}",))
    deadline = time.monotonic() + 5
    while feed.generation() == feed.generation():  # deaf: a new generation at every look
        assert time.monotonic() < deadline, "the lost connection was not noticed"
        time.sleep(0.05)
    deadline = time.monotonic() + 10
    while (again := feed.generation()) != feed.generation():
        assert time.monotonic() < deadline, "the feed did not come back"
        time.sleep(0.05)
    assert again != before  # what was missed meanwhile counts as a change
    with psycopg.connect(plain(store), autocommit=True) as other:
        other.execute(f"NOTIFY {CHANNEL}")
        moves(feed, again)


def test_sqlite_has_no_feed_its_own_commits_are_all_there_is(tmp_path: Path) -> None:
    alone = Store.open(None, tmp_path)
    try:
        assert alone.change_feed() is None
    finally:
        alone.dispose()

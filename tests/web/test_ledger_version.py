"""The request path's fingerprint reader (``web.transparency.VersionReader``) on both backends:
the same fingerprint as ``get_ledger_version``, a committed change seen by the very next read,
and on PostgreSQL (its own autocommit connections, no pre-ping) a dropped connection retried.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ledger.db import make_engine
from ledger.models.stamps import bump_stamp
from ledger.reports.public import get_ledger_version
from web.transparency import VersionReader


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    """A database of this test's own: these tests commit (the shared per-worker one is only
    ever changed inside a rolled-back transaction, and later tests count on that)."""
    created = make_engine(fresh_database_url)
    yield created
    created.dispose()


def test_reader_matches_the_session_fingerprint_and_sees_a_commit_at_once(engine: Engine) -> None:
    reader = VersionReader(engine)
    with Session(engine) as session:
        before = reader.read(lambda: session)
        assert before == get_ledger_version(session)
    with Session(engine) as writer:
        bump_stamp(writer)
        writer.commit()
    with Session(engine) as session:
        after = reader.read(lambda: session)
        assert after != before and after == get_ledger_version(session)


def test_reader_outside_a_request_reads_the_same_and_sees_a_commit_at_once(
    engine: Engine,
) -> None:
    """What web.memo reads before Flask runs, with no request session, on both backends."""
    reader = VersionReader(engine)
    with Session(engine) as session:
        before = reader.read_outside_request()
        assert before == get_ledger_version(session)
    with Session(engine) as writer:
        bump_stamp(writer)
        writer.commit()
    after = reader.read_outside_request()
    assert after != before
    with Session(engine) as session:
        assert after == get_ledger_version(session)
    if reader.engine is not None:
        reader.engine.dispose()


def test_reader_retries_once_when_its_connection_was_dropped(engine: Engine) -> None:
    reader = VersionReader(engine)
    if reader.engine is None:
        return  # SQLite: read in the request's session, there is no server to drop it
    with Session(engine) as session:
        expected = get_ledger_version(session)
        assert reader.read(lambda: session) == expected
        # The server ends every idle connection of the reader's pool (a restart would too).
        session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state = 'idle'"
            )
        )
        session.commit()
        assert reader.read(lambda: session) == expected
    reader.engine.dispose()


def test_every_posting_bumps_the_stamp_and_writers_commit_in_stamp_order(
    engine: Engine,
) -> None:
    """The largest entry id alone would miss an entry that commits after one with a higher id
    (two writers on PostgreSQL). Every posting (ORM or bulk) bumps the public stamp in its own
    transaction, so a second writer queues behind the first and each commit changes the
    fingerprint."""
    import threading
    import uuid
    from datetime import UTC, datetime

    from ledger.journal import EntrySpec, PostingSpec, open_account, post_entries, post_entry
    from ledger.models.stamps import get_stamp

    run = uuid.uuid4().hex[:8]
    with Session(engine) as setup:  # the demo catalogue has the assets (KZT among them)
        for name in ("Assets:Cash:Race", "Income:Race"):
            open_account(setup, name)
        setup.commit()
        stamp0 = get_stamp(setup)

    def spec(key: str) -> EntrySpec:
        return EntrySpec(
            idempotency_key=key,
            effective_at=datetime.now(UTC),
            description=key,
            postings=[PostingSpec("Assets:Cash:Race", "KZT", 5), PostingSpec("Income:Race", "KZT", -5)],
        )

    first = Session(engine)
    post_entry(first, spec(f"race-first-{run}"))  # ORM path: inserted and stamped, not committed
    done = threading.Event()

    def second_writer() -> None:
        with Session(engine) as second:
            post_entries(second, [spec(f"race-second-{run}")])  # bulk path
            second.commit()
        done.set()

    thread = threading.Thread(target=second_writer)
    with Session(engine) as reader:
        before = get_ledger_version(reader)
    if engine.dialect.name == "postgresql":
        thread.start()
        try:
            assert not done.wait(0.5), "the second writer did not wait for the first"
            first.commit()
        finally:
            first.close()
            thread.join(20)
    else:  # SQLite writers take the database lock (BEGIN IMMEDIATE): one after the other
        first.commit()
        first.close()
        thread.start()
        thread.join(20)
    assert done.is_set()
    with Session(engine) as reader:
        after = get_ledger_version(reader)
        assert get_stamp(reader) == stamp0 + 2
    assert after != before

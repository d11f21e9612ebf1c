"""Row ids: UUIDv7, so the rows written together sit together in their primary-key index."""

from __future__ import annotations

import time
import uuid

import pytest

from backend.storage.db import new_id

pytestmark = pytest.mark.one_engine  # made in Python, the same for both engines


def test_row_ids_are_unique_uuid7_stamped_with_the_millisecond_they_were_made() -> None:
    before = time.time_ns() // 1_000_000
    ids = [new_id() for _ in range(1000)]  # several blocks of random bytes
    after = time.time_ns() // 1_000_000
    parsed = [uuid.UUID(row_id) for row_id in ids]
    assert [str(u) for u in parsed] == ids  # canonical lower-case form
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert len(set(ids)) == len(ids)
    millis = [u.int >> 80 for u in parsed]
    assert millis == sorted(millis)
    assert before <= millis[0] and millis[-1] <= after

"""Counted nouns: singular for one, plural otherwise, thousands separated."""

from __future__ import annotations

from studio.core.models import Voucher
from studio.core.wording import coins, counted


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert coins(1) == "1 coin"
    assert coins(0) == "0 coins"
    assert coins(2) == "2 coins"
    assert coins(2_000) == "2,000 coins"
    assert counted(1, "order") == "1 order"
    assert counted(3, "person", "people") == "3 people"


def test_a_one_coin_voucher_reads_in_the_singular() -> None:
    voucher = Voucher("ONE", "fixed", 1, 0, None, 0, None, None)
    assert voucher.label == "1 coin off"
    assert Voucher("TEN", "percent", 10, 0, None, 0, None, None).label == "10% off"

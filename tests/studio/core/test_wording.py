"""Counted nouns: singular for one, plural otherwise, thousands separated."""

from __future__ import annotations

from studio.core.wording import coins, counted, voucher_label


def test_one_is_singular_and_every_other_count_plural() -> None:
    assert coins(1) == "1 coin"
    assert coins(0) == "0 coins"
    assert coins(2) == "2 coins"
    assert coins(2_000) == "2,000 coins"
    assert counted(1, "order") == "1 order"
    assert counted(3, "person", "people") == "3 people"


def test_a_one_coin_voucher_reads_in_the_singular() -> None:
    assert voucher_label("fixed", 1) == "1 coin off"
    assert voucher_label("fixed", 5) == "5 coins off"
    assert voucher_label("percent", 10) == "10% off"

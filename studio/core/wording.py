"""Counted nouns for the studio's text: "1 coin", "2,000 coins" (never "1 coins")."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str = "") -> str:
    """``count`` with thousands separators and the noun in the form that fits it."""
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def coins(count: int) -> str:
    return counted(count, "coin")


def voucher_label(kind: str, value: int) -> str:
    """What a voucher takes off: "10% off", "1 coin off"."""
    return f"{value}% off" if kind == "percent" else f"{coins(value)} off"

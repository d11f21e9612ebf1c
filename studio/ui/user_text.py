"""Text other people wrote (names, titles, messages, product names) shown as text.

Qt reads a label's or a tooltip's text as rich text when it merely looks like HTML
(``Qt.TextFormat.AutoText``), and a button's ``&`` as a keyboard mnemonic. A display name of
``<h1 style="color:red">Account suspended</h1>`` would otherwise render as a red headline in
another streamer's studio. Every string that comes from the network goes through one of these:

- :class:`PlainLabel` for a label that shows it (also what ``widgets.dim`` and
  ``widgets.ElidedLabel`` are);
- :func:`plain_tip` for a tooltip;
- :func:`button_text` for a button's or a menu's text;
- :func:`escaped` for the user part of a label that mixes our own formatting (rich text) with it.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel


class PlainLabel(QLabel):
    """A label whose text is always shown literally, whatever it looks like."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)


def plain_tip(text: str) -> str:
    """``text`` as a tooltip that shows it literally (tooltips have no plain-text switch: the
    text is escaped into rich text that renders as exactly these characters)."""
    if not text:
        return ""
    return GuiQt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)


def button_text(text: str) -> str:
    """``text`` for a button or menu entry: a ``&`` is shown, not taken as a shortcut mark."""
    return text.replace("&", "&&")


def escaped(text: str) -> str:
    """``text`` to put inside our own rich text (the top-fans list, the chat's lines)."""
    return escape(text, quote=True)

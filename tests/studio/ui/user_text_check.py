"""Walk a window's widgets and find where text other people wrote is rendered as markup.

A payload is a string that Qt would render as rich text if a label, tooltip or button took it
as such (``<h1 …>``, ``<img>``, ``&`` as a mnemonic). ``scan(window, payloads)`` looks at every
label, button, list item, combo box item and tooltip under the window (docks and toasts
included, shown or not) and reports each place that would render a payload as markup, and
which payloads it saw shown literally (so a test can also prove the payload was on screen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QListWidget, QWidget


@dataclass
class Findings:
    markup: list[str] = field(default_factory=list)  # where a payload renders as markup
    seen: set[str] = field(default_factory=set)  # payloads shown literally somewhere

    def missing(self, payloads: Iterable[str]) -> set[str]:
        return set(payloads) - self.seen


def rendered(text: str, rich: bool) -> str:
    """The characters a person sees for ``text`` (rich: the document's plain text)."""
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText().replace("\u2029", "\n").replace("\xa0", " ")


def label_is_rich(label: QLabel) -> bool:
    form = label.textFormat()
    if form == Qt.TextFormat.PlainText:
        return False
    return form != Qt.TextFormat.AutoText or GuiQt.mightBeRichText(label.text())


def button_shows(text: str) -> str:
    """A button's text as drawn: ``&x`` marks a mnemonic (drawn as x), ``&&`` is one ``&``."""
    return re.sub(r"&(.)", r"\1", text)


def scan(root: QWidget, payloads: Iterable[str]) -> Findings:
    wanted = list(payloads)
    found = Findings()

    def check(where: str, text: str, shown: str, is_markup: bool) -> None:
        for payload in wanted:
            if payload in shown:
                found.seen.add(payload)
            elif payload in text and is_markup:
                found.markup.append(f"{where}: {text!r} is shown as {shown!r}")

    def check_tip(where: str, tip: str) -> None:
        rich = GuiQt.mightBeRichText(tip)
        check(f"{where} tooltip", tip, rendered(tip, rich), rich)

    for widget in [root, *root.findChildren(QWidget)]:
        where = f"{type(widget).__name__}({widget.objectName() or hex(id(widget))})"
        if widget.toolTip():
            check_tip(where, widget.toolTip())
        if isinstance(widget, QLabel):
            rich = label_is_rich(widget)
            whole = getattr(widget, "text", widget.text)()  # an ElidedLabel's whole text
            check(where, whole, rendered(whole, rich), rich)
        elif isinstance(widget, QAbstractButton):
            check(where, widget.text(), button_shows(widget.text()), True)
        elif isinstance(widget, QListWidget):
            for row in range(widget.count()):
                item = widget.item(row)
                check(f"{where} item {row}", item.text(), item.text(), False)  # always plain
                if item.toolTip():
                    check_tip(f"{where} item {row}", item.toolTip())
        elif isinstance(widget, QComboBox):
            for row in range(widget.count()):
                check(f"{where} item {row}", widget.itemText(row), widget.itemText(row), False)
    return found

"""Stream keys for OBS and other encoders: the WHIP URL and keys to paste into them.

A key is shown once, right after it is made (with a Copy button); afterwards the list shows
its label, its last characters and when it was last used. Regenerating replaces a key with a
new one of the same label; revoking refuses it at once and ends a live stream published with
it, so both ask first.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.api_client import ApiClient, ApiError
from studio.ui import theme
from studio.ui.confirm import confirm
from studio.ui.tasks import Tasks
from studio.ui.widgets import PlaceholderList, dim, role_button, section
from wire.stream_keys import StreamKeyInfo

NEVER_USED = "never used"


def last_use(moment: datetime | None) -> str:
    if moment is None:
        return NEVER_USED
    return f"last used {moment.astimezone().strftime('%Y-%m-%d %H:%M')}"


def key_line(key: StreamKeyInfo) -> str:
    return f"{key.label or 'Stream key'}  ·  …{key.hint}  ·  {last_use(key.last_used_at)}"


def plain(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class StreamKeysDialog(QDialog):
    def __init__(
        self, api: ApiClient, stream: str, tasks: Tasks, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.api = api
        self.stream = stream
        self.tasks = tasks
        self.keys: list[StreamKeyInfo] = []
        self.setWindowTitle("Stream keys · OnAir Studio")
        self.setMinimumWidth(560)

        self.server = QLineEdit(f"{api.base_url.rstrip('/')}/whip/{stream}")
        self.server.setReadOnly(True)
        self.server.setAccessibleName("WHIP server URL")
        copy_server = QPushButton("Copy")
        copy_server.clicked.connect(lambda: self._copy(self.server.text()))

        self.new_key = QLineEdit()
        self.new_key.setReadOnly(True)
        self.new_key.setAccessibleName("New stream key")
        self.copy_key = role_button("Copy key", "primary")
        self.copy_key.clicked.connect(lambda: self._copy(self.new_key.text()))
        self.new_key_note = dim(
            "Copy this key into your encoder now: it is shown only once. Anyone with it can "
            "publish this stream; revoke it if it leaks."
        )
        self.new_key_box = QWidget()
        box = QVBoxLayout(self.new_key_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(self._row(self.new_key, self.copy_key))
        box.addWidget(self.new_key_note)
        self.new_key_box.hide()

        self.label = QLineEdit()
        self.label.setPlaceholderText("what the key is for, e.g. OBS on the desktop")
        self.label.setMaxLength(64)
        self.make = role_button("New key", "primary")
        self.make.clicked.connect(lambda: self.tasks.spawn(self.make_key(self.label.text())))

        self.list = PlaceholderList("No keys yet: make one for your encoder.")
        self.list.setAccessibleName("Stream keys")
        self.list.currentRowChanged.connect(self._selection_changed)
        self.regenerate = QPushButton("Regenerate")
        self.regenerate.clicked.connect(self.ask_to_replace)
        self.revoke = role_button("Revoke", "danger")
        self.revoke.clicked.connect(self.ask_to_revoke)

        self.error = plain()
        self.error.setStyleSheet(f"color: {theme.DANGER};")
        self.error.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(section("Go live from OBS"))
        layout.addWidget(
            dim(
                "In OBS: Settings → Stream → Service: WHIP. Server: the URL below. Bearer "
                "Token: a stream key. The same works for FFmpeg and GStreamer."
            )
        )
        layout.addLayout(self._row(self.server, copy_server))
        layout.addWidget(section("Stream keys"))
        layout.addLayout(self._row(self.label, self.make))
        layout.addWidget(self.new_key_box)
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.regenerate)
        buttons.addWidget(self.revoke)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        self._selection_changed(-1)

    @staticmethod
    def _row(*widgets: QWidget) -> QHBoxLayout:
        row = QHBoxLayout()
        for index, widget in enumerate(widgets):
            row.addWidget(widget, 1 if index == 0 else 0)
        return row

    def _copy(self, text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    def _selection_changed(self, row: int) -> None:
        for button in (self.regenerate, self.revoke):
            button.setEnabled(0 <= row < len(self.keys))

    def _selected(self) -> StreamKeyInfo | None:
        row = self.list.currentRow()
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def _failed(self, exc: ApiError) -> None:
        self.error.setText(exc.message)
        self.error.show()

    async def refresh(self) -> None:
        try:
            self.keys = await self.api.stream_keys(self.stream)
        except ApiError as exc:
            self._failed(exc)
            return
        self.list.clear()
        for key in self.keys:
            self.list.addItem(QListWidgetItem(key_line(key)))
        self._selection_changed(self.list.currentRow())

    async def make_key(self, label: str) -> None:
        """A new key, shown once with its Copy button."""
        try:
            made = await self.api.create_stream_key(self.stream, label.strip())
        except ApiError as exc:
            self._failed(exc)
            return
        self.error.hide()
        self.label.clear()
        self.new_key.setText(made.key)
        self.new_key_box.show()
        await self.refresh()

    # The questions are asked here, before any task starts: a modal dialog inside a running
    # task would run the other tasks from its nested event loop (qasync refuses that).
    def ask_to_replace(self) -> None:
        key = self._confirmed("Regenerate", "Paste the new key into your encoder.")
        if key is not None:
            self.tasks.spawn(self.replace(key))

    def ask_to_revoke(self) -> None:
        key = self._confirmed("Revoke")
        if key is not None:
            self.tasks.spawn(self.revoke_key(key))

    async def replace(self, key: StreamKeyInfo) -> None:
        if await self._revoke(key):
            await self.make_key(key.label)

    async def revoke_key(self, key: StreamKeyInfo) -> None:
        if await self._revoke(key):
            await self.refresh()

    def _confirmed(self, action: str, then: str = "") -> StreamKeyInfo | None:
        """The selected key, once the person said yes to ``action`` on it (it cannot be undone:
        the key stops working and a stream published with it ends)."""
        key = self._selected()
        if key is None:
            return None
        text = (
            f"'{key.label or 'Stream key'}' (…{key.hint}) stops working now, and a stream "
            f"published with it ends. {then}"
        )
        asked = confirm(self, f"{action} this stream key?", text.strip(), action)
        return key if asked else None

    async def _revoke(self, key: StreamKeyInfo) -> bool:
        try:
            await self.api.revoke_stream_key(self.stream, key.id)
        except ApiError as exc:
            self._failed(exc)
            return False
        self.error.hide()
        return True


def open_stream_keys(api: ApiClient, stream: str, tasks: Tasks, parent: QWidget) -> None:
    dialog = StreamKeysDialog(api, stream, tasks, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    tasks.spawn(dialog.refresh())

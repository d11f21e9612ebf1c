"""What the studio's widgets hear about the session, as Qt signals: who is signed in, each
server event, and the event link coming back. The main window emits them; panels are given
this object (not the window) and connect to what they need."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class StudioSignals(QObject):
    signed_in = Signal(object)  # wire.users.Account, or None after signing out
    server_event = Signal(object)  # ServerEvent
    resynced = Signal()  # the event link came back: panels fetch fresh state

"""What every panel is given of the studio (not the main window itself)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.session import Session
from studio.ui.signals import StudioSignals
from studio.ui.tasks import Tasks
from studio.ui.toasts import ToastHost


@dataclass(frozen=True)
class PanelParts:
    """What every panel works with (and all it is given of the window): the signed-in session
    (API client, event link, user), the task runner, the toasts and the session's signals."""

    account: Session
    tasks: Tasks
    toasts: ToastHost
    signals: StudioSignals

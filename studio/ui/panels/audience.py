"""The Audience panel: the title and category of the next live (Go Live asks for them, filled
in from here, and sends them as it starts), the follower count with the newest followers, and
the current live's likes as they come in."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from studio.core.audience import Audience, AudienceView
from studio.core.events import ServerEvent
from studio.core.settings_store import StudioSettings
from studio.ui.live_details import NO_CATEGORY, LiveDetails, ask_live_details
from studio.ui.panels.common import ServerPanel
from studio.ui.parts import PanelParts
from studio.ui.user_text import PlainLabel
from studio.ui.widgets import PlaceholderList, dim, role_button, section
from wire.social import CATEGORIES, MAX_TITLE
from wire.users import Account


def count_text(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


class AudiencePanel(ServerPanel):
    loading_text = "Loading your audience"

    def __init__(self, parts: PanelParts, *, settings: StudioSettings) -> None:
        super().__init__(parts, "Sign in to see who follows you and your likes.")
        self.settings = settings
        self.state: Audience | None = None
        self.title = QLineEdit()
        self.title.setMaxLength(MAX_TITLE)
        self.title.setPlaceholderText("What is this live about?")
        self.title.setAccessibleName("Title of your live")
        self.category = QComboBox()
        self.category.addItems([NO_CATEGORY, *CATEGORIES])
        self.category.setAccessibleName("Category of your live")
        self.save = role_button("Save", "primary")
        self.save.setToolTip("Viewers see the title on the home page and the watch page")
        self.save.clicked.connect(lambda: self.tasks.spawn(self.publish_details(), "Saving"))
        self.saved = dim("Sent to viewers when you go live.")
        self.likes = QLabel("0")
        self.likes.setObjectName("big-number")
        self.likes.setStyleSheet("font-size: 28px; font-weight: 800;")
        self.followers = PlainLabel()
        self.followers.setStyleSheet("font-size: 16px; font-weight: 700;")
        self.recent = PlaceholderList("Nobody follows you yet. Viewers follow from your page.")
        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(section("Your live"))
        form = QFormLayout()
        form.addRow("Title", self.title)
        form.addRow("Category", self.category)
        column.addLayout(form)
        column.addWidget(self.saved)
        column.addWidget(self.save)
        column.addWidget(section("Likes this live"))
        column.addWidget(self.likes)
        column.addWidget(section("Followers"))
        column.addWidget(self.followers)
        column.addWidget(self.recent, 1)
        self.page = page
        self.add_pages(page)

    def signed_in(self, user: Account | None) -> None:
        self.state = None
        if user is None:
            self.show_page(self.signed_out)
            return
        self.state = Audience(self.account.api, user, self.show_view)
        self.show_page(self.page)
        self.reload()

    async def _fetch(self) -> None:
        if self.state is not None:
            await self.state.refresh()

    def event_received(self, event: ServerEvent) -> None:
        if self.state is not None:
            self.state.event(event)

    def ask_before_live(self) -> bool:
        """Go Live's question: the live's title and category (False: the streamer cancelled).
        Not asked when the streamer turned it off and the live has a title."""
        if self.state is None:
            return True
        details = self._details()
        if details.title and not self.settings.ask_live_details:
            return True
        answer = ask_live_details(self, details, f"Live with {self.state.user.label}")
        if answer is None:
            return False
        self.title.setText(answer.title)
        self.category.setCurrentText(answer.category or NO_CATEGORY)
        self.settings.ask_live_details = answer.ask_every_time
        return True

    def _details(self) -> LiveDetails:
        category = self.category.currentText()
        return LiveDetails(
            self.title.text().strip(),
            "" if category == NO_CATEGORY else category,
            self.settings.ask_live_details,
        )

    async def publish_details(self) -> None:
        """Store the title and category on the stream (Go Live calls this before publishing)."""
        if self.state is None:
            return
        chosen = self._details()
        details = await self.state.save_details(chosen.title, chosen.category)
        shown = details.title or f"Live with {self.state.user.label}"
        where = f" in {details.category}" if details.category else ""
        self.saved.setText(f"Viewers see “{shown}”{where}.")
        if not details.title:
            self.toasts.show_toast(
                "Your live has no title",
                f"Viewers see “{shown}”. Name it in the Audience panel.",
                ms=4000,
            )

    def show_view(self, view: AudienceView) -> None:
        self.likes.setText(f"{view.likes:,}")
        self.likes.setAccessibleName(count_text(view.likes, "like", "likes") + " this live")
        self.followers.setText(count_text(view.followers, "follower", "followers"))
        self.recent.clear()
        for follower in view.recent:
            self.recent.addItem(follower.label)
        details = view.details
        if details is not None and not self.title.hasFocus() and not self.title.text():
            self.title.setText(details.title)
            self.category.setCurrentText(details.category or NO_CATEGORY)

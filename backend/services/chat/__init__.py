"""A stream's live chat and its moderation (issue 17).

``messages``: writing (every rule a message must pass), history, system lines, retention.
``moderation``: delete, pin, clear, time outs, bans, moderators, settings, blocked words,
reports, held messages, the moderation log. ``system``: lines about gifts, battles, shopping
and arrivals. The first two take a ``ChatRoom`` (the stream's canonical
name and owner), resolved by the API layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.events import EventSink
from backend.services.chat.limits import ChatLimits
from backend.services.chat.messages import ChatMessages
from backend.services.chat.moderation import ChatModeration
from backend.services.chat.roles import ChatRoom
from backend.services.chat.system_lines import SystemLines
from backend.services.scheduler import Scheduler
from backend.storage.db import Database

__all__ = ["ChatLimits", "ChatRoom", "ChatService"]


@dataclass
class ChatService:
    messages: ChatMessages
    moderation: ChatModeration
    system: SystemLines

    @classmethod
    def build(
        cls,
        db: Database,
        events: EventSink,
        scheduler: Scheduler,
        limits: ChatLimits | None = None,
    ) -> ChatService:
        messages = ChatMessages(db, events, limits or ChatLimits())
        messages.keep_pruning(scheduler)
        return cls(messages, ChatModeration(db, events), SystemLines(db, messages))

    def route_events(self, events: EventSink) -> None:
        """Publish the chat's events through ``events`` from now on (the hub's batching)."""
        self.messages.events = events
        self.moderation.events = events

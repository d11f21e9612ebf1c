"""Live chat of a stream and its moderation: REST answers and ``chat:*`` event payloads.

Everyone watching a stream is in its room (``stream_room(name)``) and receives the public
events (messages, deletions, pins, clears, timeouts, bans, settings, moderators). The streamer
and the stream's moderators also join ``chat_mod_room(name)`` for what only they see: reports,
messages held for review and the log of moderation actions.

Message text is always plain text: no client may interpret it as markup.
"""

from __future__ import annotations

from typing import Literal

from wire.base import Replayable, Timestamp, WireModel
from wire.events import Chat

ChatRole = Literal["host", "moderator", "viewer", "guest"]
"""``host``: the stream's owner; ``moderator``: appointed by the owner for this stream;
``viewer``: a signed-in account; ``guest``: a viewer token (reads only)."""

SystemKind = Literal["joined", "gift", "pk-started", "pk-ended", "product-pinned", "order"]
BlockedWordAction = Literal["mask", "hold"]
TimeoutMinutes = Literal[1, 5, 10, 60]
TIMEOUT_MINUTES: tuple[int, ...] = (1, 5, 10, 60)
MAX_MESSAGE_GRAPHEMES = 300


class ChatUser(WireModel):
    id: str
    username: str
    display_name: str


class ChatAuthor(ChatUser):
    role: ChatRole


class ChatMessage(WireModel):
    """One line of the chat. ``kind`` ``user``: ``author`` wrote ``text``; ``system``: the
    server wrote ``text`` about something that happened (``system`` says what), no author."""

    id: str
    stream: str
    kind: Literal["user", "system"]
    text: str
    author: ChatAuthor | None = None
    system: SystemKind | None = None
    masked: bool = False  # a blocked word in it was replaced by asterisks
    created_at: Timestamp


class ChatSettings(WireModel):
    """The room's public rules (``chat:settings`` when they change)."""

    stream: str
    slow_mode_seconds: int  # 0: off; else one message per N seconds per viewer
    members_only: bool  # only accounts at least ``min_account_age_minutes`` old may write
    min_account_age_minutes: int
    links_allowed: bool  # viewers' links (the host and moderators may always post links)


class BlockedWords(WireModel):
    """The stream's blocked words (seen by the host and moderators only). A word matches whole
    words, ``*`` stands for any letters (``spam*``), case, accents and look-alike letters are
    ignored. A matching message is masked (``***``) or held for review."""

    stream: str
    words: list[str]
    action: BlockedWordAction


class ChatViewerState(WireModel):
    """What the asking viewer may do now (the page disables its input and says why)."""

    role: ChatRole
    can_write: bool
    reason: str | None = None  # why not, in words a person can act on
    timed_out_until: Timestamp | None = None
    banned: bool = False


class ChatHistory(WireModel):
    """``GET /api/streams/{stream}/chat``: the newest messages first, paged with ``before``."""

    stream: str
    messages: list[ChatMessage]
    next_before: str | None  # the id to pass as ``before`` for older messages; None: no more
    pinned: ChatMessage | None
    settings: ChatSettings
    viewer: ChatViewerState


class ChatSent(Replayable):
    """``POST /api/streams/{stream}/chat``: ``held`` means the message waits for a moderator
    (it matched a blocked word) and nobody else sees it yet."""

    message: ChatMessage
    held: bool = False


class ChatDeleted(WireModel):
    stream: str
    message_id: str


class ChatPinned(WireModel):
    stream: str
    message: ChatMessage
    pinned_by: ChatUser


class ChatUnpinned(WireModel):
    stream: str
    message_id: str


class ChatCleared(WireModel):
    """Every message before ``cleared_at`` is gone from the room."""

    stream: str
    cleared_at: Timestamp


class ChatUserTimedOut(WireModel):
    stream: str
    user: ChatUser
    until: Timestamp
    seconds: int


class ChatUserBanned(WireModel):
    """``user`` may no longer write in the room (by account: a new token does not help);
    ``banned`` false: the ban was lifted."""

    stream: str
    user: ChatUser
    banned: bool


class ChatModerators(WireModel):
    stream: str
    moderators: list[ChatUser]


class ChatBan(WireModel):
    user: ChatUser
    by: ChatUser
    created_at: Timestamp


class ChatTimeout(WireModel):
    user: ChatUser
    by: ChatUser
    until: Timestamp


class ChatRestrictions(WireModel):
    """``GET /api/streams/{stream}/chat/restrictions``: who is banned or timed out now."""

    stream: str
    bans: list[ChatBan]
    timeouts: list[ChatTimeout]


class ChatReport(WireModel):
    """A viewer's report of a message, in the moderation queue until a moderator resolves it."""

    id: str
    stream: str
    message: ChatMessage
    reporter: ChatUser
    reason: str
    status: Literal["open", "dismissed", "removed"]
    created_at: Timestamp
    resolved_by: ChatUser | None = None


class ChatReportFiled(WireModel):
    """What the reporting viewer is told (the queue itself is for moderators)."""

    id: str
    message_id: str


class HeldMessage(WireModel):
    """A message that matched a blocked word while the action is ``hold``."""

    message: ChatMessage
    matched: list[str]


class HeldDecision(WireModel):
    stream: str
    message_id: str
    approved: bool


class ModerationAction(WireModel):
    """One line of the moderation log: who did what to whom/what, when."""

    id: str
    stream: str
    actor: ChatUser
    action: str  # delete, pin, unpin, timeout, untimeout, ban, unban, clear, settings, ...
    target_user: ChatUser | None = None
    message_id: str | None = None
    detail: str = ""
    created_at: Timestamp


EVENTS: dict[str, type[WireModel]] = {
    Chat.MESSAGE: ChatMessage,
    Chat.DELETED: ChatDeleted,
    Chat.PINNED: ChatPinned,
    Chat.UNPINNED: ChatUnpinned,
    Chat.CLEARED: ChatCleared,
    Chat.USER_TIMED_OUT: ChatUserTimedOut,
    Chat.USER_BANNED: ChatUserBanned,
    Chat.SETTINGS: ChatSettings,
    Chat.MODERATORS: ChatModerators,
    Chat.REPORT: ChatReport,
    Chat.HELD: HeldMessage,
    Chat.HELD_DECIDED: HeldDecision,
    Chat.ACTION: ModerationAction,
}

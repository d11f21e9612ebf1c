"""A stream's live chat as the studio sees it (no Qt): the REST calls, and the state that
history, moderation lists and ``chat:*`` events fold into.

The Chat dock renders a :class:`ChatState` and sends commands through a :class:`ChatClient`;
the on-stream chat overlay is fed from the same state (:meth:`ChatState.overlay_lines`).
Everything people wrote stays plain text here; the dock shows it as text.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import TypeAdapter

from studio.core.api_client import ApiClient
from studio.core.events import ServerEvent
from wire.base import WireModel
from wire.chat import (
    BlockedWordAction,
    BlockedWords,
    ChatCleared,
    ChatDeleted,
    ChatHistory,
    ChatMessage,
    ChatModerators,
    ChatPinned,
    ChatReport,
    ChatRestrictions,
    ChatSent,
    ChatSettings,
    ChatUnpinned,
    ChatUser,
    ChatUserBanned,
    ChatUserTimedOut,
    ChatViewerState,
    HeldDecision,
    HeldMessage,
    ModerationAction,
)
from wire.events import Chat, chat_mod_room, stream_room

MAX_MESSAGES = 300  # kept in the dock; older ones are a scroll-up (history) away
LOG_LENGTH = 200
Model = TypeVar("Model", bound=WireModel)
ModerationLists = tuple[
    ChatModerators,
    BlockedWords,
    list[ChatReport],
    list[HeldMessage],
    list[ModerationAction],
    ChatRestrictions,
]
"""What ``ChatState.load_moderation`` takes, in its order."""


def parsed(model: type[Model], data: Any) -> Model:
    return model.model_validate(data)


def parsed_list(model: type[Model], data: Any) -> list[Model]:
    # mypy takes a type variable's value for no type here; pydantic builds list[<the model>]
    return TypeAdapter(list[model]).validate_python(data)  # type: ignore[valid-type]


class ChatClient:
    """The chat endpoints of one stream (``/api/streams/{stream}/…``) as typed calls."""

    def __init__(self, api: ApiClient, stream: str) -> None:
        self.api = api
        self.stream = stream
        self._base = f"/api/streams/{quote(stream, safe='')}"

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.api.request(method, self._base + path, **kwargs)

    # ---- everyone -------------------------------------------------------------------
    async def history(self, before: str | None = None, limit: int = 50) -> ChatHistory:
        params: dict[str, Any] = {"limit": limit} | ({"before": before} if before else {})
        return parsed(ChatHistory, await self._call("GET", "/chat", params=params))

    async def send(self, text: str) -> ChatSent:
        key = uuid.uuid4().hex  # a retry of this very send is applied once
        data = await self._call("POST", "/chat", json={"text": text}, idempotency_key=key)
        return parsed(ChatSent, data)

    # ---- moderators -----------------------------------------------------------------
    async def delete(self, message_id: str) -> ChatDeleted:
        return parsed(ChatDeleted, await self._call("DELETE", f"/chat/messages/{message_id}"))

    async def pin(self, message_id: str) -> ChatPinned:
        data = await self._call("POST", "/chat/pin", json={"messageId": message_id})
        return parsed(ChatPinned, data)

    async def unpin(self) -> ChatUnpinned:
        return parsed(ChatUnpinned, await self._call("DELETE", "/chat/pin"))

    async def clear(self) -> ChatCleared:
        return parsed(ChatCleared, await self._call("POST", "/chat/clear"))

    async def time_out(self, user_id: str, minutes: int) -> ChatUserTimedOut:
        body = {"userId": user_id, "minutes": minutes}
        return parsed(ChatUserTimedOut, await self._call("POST", "/chat/timeouts", json=body))

    async def ban(self, user_id: str) -> ChatUserBanned:
        data = await self._call("POST", "/chat/bans", json={"userId": user_id})
        return parsed(ChatUserBanned, data)

    async def unban(self, user_id: str) -> ChatUserBanned:
        return parsed(ChatUserBanned, await self._call("DELETE", f"/chat/bans/{user_id}"))

    async def lift_time_out(self, user_id: str) -> ChatUserTimedOut:
        data = await self._call("DELETE", f"/chat/timeouts/{user_id}")
        return parsed(ChatUserTimedOut, data)

    async def restrictions(self) -> ChatRestrictions:
        return parsed(ChatRestrictions, await self._call("GET", "/chat/restrictions"))

    async def moderators(self) -> ChatModerators:
        return parsed(ChatModerators, await self._call("GET", "/moderators"))

    async def appoint(self, user_id: str) -> ChatModerators:
        return parsed(ChatModerators, await self._call("POST", f"/moderators/{user_id}"))

    async def dismiss(self, user_id: str) -> ChatModerators:
        return parsed(ChatModerators, await self._call("DELETE", f"/moderators/{user_id}"))

    async def update_settings(self, **changes: Any) -> ChatSettings:
        return parsed(ChatSettings, await self._call("PATCH", "/chat/settings", json=changes))

    async def blocked_words(self) -> BlockedWords:
        return parsed(BlockedWords, await self._call("GET", "/chat/blocked-words"))

    async def set_blocked_words(self, words: list[str], action: BlockedWordAction) -> BlockedWords:
        body = {"words": words, "action": action}
        return parsed(BlockedWords, await self._call("PUT", "/chat/blocked-words", json=body))

    async def reports(self) -> list[ChatReport]:
        return parsed_list(ChatReport, await self._call("GET", "/chat/reports"))

    async def resolve_report(self, report_id: str, remove: bool) -> ChatReport:
        body = {"action": "remove" if remove else "dismiss"}
        return parsed(ChatReport, await self._call("POST", f"/chat/reports/{report_id}", json=body))

    async def held(self) -> list[HeldMessage]:
        return parsed_list(HeldMessage, await self._call("GET", "/chat/held"))

    async def decide_held(self, message_id: str, approve: bool) -> HeldDecision:
        body = {"approve": approve}
        return parsed(HeldDecision, await self._call("POST", f"/chat/held/{message_id}", json=body))

    async def actions(self) -> list[ModerationAction]:
        return parsed_list(ModerationAction, await self._call("GET", "/chat/actions"))


def clock(seconds: int) -> str:
    """4:32 for 272 seconds."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def author_name(message: ChatMessage) -> str:
    """Who wrote ``message`` as people read it ("" for a system line)."""
    author = message.author
    return (author.display_name or author.username) if author is not None else ""


def user_name(user: ChatUser) -> str:
    return user.display_name or user.username


@dataclass(frozen=True)
class Restriction:
    """Someone who may not write now: banned (``until`` None) or timed out until ``until``."""

    user: ChatUser
    until: datetime | None = None

    @property
    def banned(self) -> bool:
        return self.until is None

    def describe(self, now: datetime) -> str:
        """A line of the list: 'Mallory (@mal): banned', 'Bob (@bob): timed out, 4:32 left'."""
        who = f"{user_name(self.user)} (@{self.user.username})"
        if self.until is None:
            return f"{who}: banned"
        return f"{who}: timed out, {clock(max(0, round((self.until - now).total_seconds())))} left"


Change = tuple[Callable[["ChatState", Any], None], Any]
Answer = TypeVar("Answer")


class ReadWindow:
    """Changes that come as events while a read of the server's state (a history page, the
    moderation lists) is on its way, made again over its answer: it may have been read before
    them. Not those from before it was asked for: a change missed while disconnected (the
    reason for reading again) must not be undone by an older event."""

    def __init__(self) -> None:
        self._reads = 0  # on their way
        self._changes: list[Change] = []

    async def read(self, answer: Awaitable[Answer]) -> Answer:
        """``answer`` awaited, keeping what comes meanwhile."""
        if self._reads == 0:
            self._changes = []
        self._reads += 1
        try:
            return await answer
        finally:
            self._reads -= 1

    def keep(self, change: Callable[[ChatState, Any], None], payload: Any) -> None:
        if self._reads:
            self._changes.append((change, payload))

    def replay(self, state: ChatState) -> None:
        """Make the kept changes again over what was loaded; forgotten once no read is left."""
        replay, self._changes = self._changes, []  # a change may keep itself again: not twice
        for change, payload in replay:
            change(state, payload)
        self._changes = replay if self._reads else []


class ChatState:
    """One stream's chat: messages (oldest first), the pinned one, the rules, what the signed-in
    user may do, and, for moderators, the reports, held messages and the log of actions."""

    def __init__(self, stream: str, me: str) -> None:
        self.stream = stream
        self.me = me
        self.messages: dict[str, ChatMessage] = {}
        self._history = ReadWindow()  # messages, deletions, clears, pins and rules
        self.pinned: ChatMessage | None = None
        self.settings: ChatSettings | None = None
        self.viewer: ChatViewerState | None = None
        self.older: str | None = None  # ``before`` for the next page of history
        self.moderators: list[ChatUser] = []
        self._moderation = ReadWindow()  # reports, held messages, restrictions, moderators
        self.blocked: BlockedWords | None = None
        self.reports: dict[str, ChatReport] = {}  # open ones
        self.held: dict[str, HeldMessage] = {}
        self.log: deque[ModerationAction] = deque(maxlen=LOG_LENGTH)  # newest first
        self.restricted: dict[str, Restriction] = {}  # by user id: bans and time outs

    @property
    def rooms(self) -> tuple[str, ...]:
        """The event room to be in: the moderators' one when allowed (it carries the public chat
        too, and being there does not count as watching), else the stream's."""
        return (chat_mod_room(self.stream),) if self.moderates else (stream_room(self.stream),)

    @property
    def moderates(self) -> bool:
        return self.viewer is not None and self.viewer.role in ("host", "moderator")

    @property
    def is_host(self) -> bool:
        return self.viewer is not None and self.viewer.role == "host"

    # ---- loading --------------------------------------------------------------------
    async def read_history(self, page: Awaitable[ChatHistory]) -> None:
        """Loads the newest page of history once ``page`` (its request) resolves, keeping for
        it what comes as events meanwhile."""
        self.load(await self._history.read(page))

    def load(self, history: ChatHistory) -> None:
        """The newest page of history (the canonical stream name comes with it)."""
        self.stream = history.stream
        self.messages = {m.id: m for m in reversed(history.messages)}
        self.older = history.next_before
        self.pinned, self.settings, self.viewer = history.pinned, history.settings, history.viewer
        self._history.replay(self)

    def load_older(self, history: ChatHistory) -> int:
        """An older page in front of what is shown; how many messages it added."""
        older = {m.id: m for m in reversed(history.messages) if m.id not in self.messages}
        self.messages = older | self.messages
        self.older = history.next_before
        return len(older)

    async def read_moderation(self, lists: Awaitable[ModerationLists]) -> None:
        """Loads the moderation lists once ``lists`` (their requests) resolve, keeping for them
        what comes as events meanwhile."""
        self.load_moderation(*await self._moderation.read(lists))

    def load_moderation(
        self,
        moderators: ChatModerators,
        blocked: BlockedWords,
        reports: list[ChatReport],
        held: list[HeldMessage],
        log: list[ModerationAction],
        restrictions: ChatRestrictions,
    ) -> None:
        self.moderators = list(moderators.moderators)
        self.blocked = blocked
        self.reports = {r.id: r for r in reports if r.status == "open"}
        self.held = {h.message.id: h for h in held}
        loaded = {a.id for a in log}
        since = [a for a in self.log if a.id not in loaded]  # came as events while loading
        newest_first = sorted([*since, *log], key=lambda a: a.created_at, reverse=True)
        self.log = deque(newest_first, maxlen=LOG_LENGTH)
        self.restricted = {t.user.id: Restriction(t.user, t.until) for t in restrictions.timeouts}
        self.restricted |= {b.user.id: Restriction(b.user) for b in restrictions.bans}
        self._moderation.replay(self)

    # ---- events ---------------------------------------------------------------------
    def apply(self, event: ServerEvent) -> bool:
        """Fold a ``chat:*`` event of this stream in; False when it is not one."""
        if not event.name.startswith("chat:"):
            return False
        payload = event.payload()
        stream = getattr(payload, "stream", None)
        if isinstance(payload, HeldMessage):
            stream = payload.message.stream
        if stream != self.stream:
            return False
        handler = _HANDLERS.get(event.name)
        if handler is None:
            return False
        handler(self, payload)
        if event.name in REPLAYED_OVER_HISTORY:
            self._history.keep(handler, payload)
        if event.name in REPLAYED:
            self._moderation.keep(handler, payload)
        return True

    def _message(self, message: ChatMessage) -> None:
        self.messages[message.id] = message
        self.held.pop(message.id, None)  # an approved held message arrives like any other
        while len(self.messages) > MAX_MESSAGES:
            self.messages.pop(next(iter(self.messages)))

    def _deleted(self, deleted: ChatDeleted) -> None:
        self.messages.pop(deleted.message_id, None)
        if self.pinned is not None and self.pinned.id == deleted.message_id:
            self.pinned = None

    def _pinned(self, pinned: ChatPinned) -> None:
        self.pinned = pinned.message

    def _unpinned(self, unpinned: ChatUnpinned) -> None:
        if self.pinned is not None and self.pinned.id == unpinned.message_id:
            self.pinned = None

    def _cleared(self, cleared: ChatCleared) -> None:
        self.messages = {
            k: m for k, m in self.messages.items() if m.created_at > cleared.cleared_at
        }
        self.pinned = None

    def _settings(self, settings: ChatSettings) -> None:
        self.settings = settings

    def set_moderators(self, moderators: ChatModerators) -> None:
        """The stream's moderators, from their event or from the answer to a change."""
        self.moderators = list(moderators.moderators)
        self._moderation.keep(ChatState.set_moderators, moderators)

    def _report(self, report: ChatReport) -> None:
        if report.status == "open":
            self.reports[report.id] = report
        else:
            self.reports.pop(report.id, None)

    def _held(self, held: HeldMessage) -> None:
        self.held[held.message.id] = held

    def _held_decided(self, decision: HeldDecision) -> None:
        self.held.pop(decision.message_id, None)

    def _action(self, action: ModerationAction) -> None:
        self.log.appendleft(action)

    def _timed_out(self, timed_out: ChatUserTimedOut) -> None:
        """A time out (``seconds`` 0: lifted); of the signed-in user, their input follows."""
        self._restrict(timed_out.user, timed_out.seconds > 0, timed_out.until)
        if timed_out.user.id == self.me and self.viewer is not None:
            on = timed_out.seconds > 0
            self.viewer = self.viewer.model_copy(
                update={
                    "can_write": not on and not self.viewer.banned,
                    "timed_out_until": timed_out.until if on else None,
                    "reason": f"You are timed out for {clock(timed_out.seconds)}." if on else None,
                }
            )

    def _banned(self, banned: ChatUserBanned) -> None:
        self._restrict(banned.user, banned.banned, None)
        if banned.user.id == self.me and self.viewer is not None:
            reason = "You are banned from this chat." if banned.banned else None
            self.viewer = self.viewer.model_copy(
                update={"banned": banned.banned, "can_write": not banned.banned, "reason": reason}
            )

    def _restrict(self, user: ChatUser, on: bool, until: datetime | None) -> None:
        """A ban (``until`` None) or time out put on (``on``) or lifted. A ban outlasts a time
        out, so lifting a time out leaves a ban standing."""
        current = self.restricted.get(user.id)
        if on:
            if current is None or not current.banned:
                self.restricted[user.id] = Restriction(user, until)
        elif current is not None and current.banned == (until is None):
            del self.restricted[user.id]

    # ---- reading --------------------------------------------------------------------
    def restrictions(self, now: datetime) -> list[Restriction]:
        """Who may not write at ``now``: bans first, then time outs ending soonest first."""
        running = [r for r in self.restricted.values() if r.until is None or r.until > now]
        return sorted(running, key=lambda r: (not r.banned, r.until or now, user_name(r.user)))

    def is_moderator(self, user_id: str) -> bool:
        return any(m.id == user_id for m in self.moderators)

    def overlay_lines(self) -> list[tuple[str, str]]:
        """Every message as the on-stream overlay draws it: (name, text), oldest first."""
        return [(author_name(m), m.text) for m in self.messages.values()]


REPLAYED_OVER_HISTORY = frozenset(
    {Chat.MESSAGE, Chat.DELETED, Chat.CLEARED, Chat.PINNED, Chat.UNPINNED, Chat.SETTINGS}
)
"""Events replayed over a history page that lands after them."""

REPLAYED = frozenset(
    {Chat.REPORT, Chat.HELD, Chat.HELD_DECIDED, Chat.USER_TIMED_OUT, Chat.USER_BANNED}
)
"""Events replayed over a moderation load that lands after them (the moderators' list is
replayed by ``set_moderators``; the log merges by id)."""

_HANDLERS: dict[str, Any] = {
    Chat.MESSAGE: ChatState._message,
    Chat.DELETED: ChatState._deleted,
    Chat.PINNED: ChatState._pinned,
    Chat.UNPINNED: ChatState._unpinned,
    Chat.CLEARED: ChatState._cleared,
    Chat.SETTINGS: ChatState._settings,
    Chat.MODERATORS: ChatState.set_moderators,
    Chat.REPORT: ChatState._report,
    Chat.HELD: ChatState._held,
    Chat.HELD_DECIDED: ChatState._held_decided,
    Chat.ACTION: ChatState._action,
    Chat.USER_TIMED_OUT: ChatState._timed_out,
    Chat.USER_BANNED: ChatState._banned,
}

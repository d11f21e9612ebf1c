"""Writing and reading a stream's chat: the rules a message must pass, history, system lines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta

from backend.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited, Unprocessable
from backend.events import EventSink
from backend.identity import AuthUser
from backend.services.chat import presenters
from backend.services.chat.errors import TimedOut, minutes_seconds
from backend.services.chat.limits import Buckets, ChatLimits
from backend.services.chat.roles import ChatRoom, Standing
from backend.services.chat.store import room_rules
from backend.services.chat.text import clean, graphemes, has_link
from backend.services.chat.words import stored_words
from backend.services.scheduler import Scheduler
from backend.services.stream_names import owner_of
from backend.storage.db import Database, Row, iso, utc_now
from wire.chat import (
    MAX_MESSAGE_GRAPHEMES,
    ChatHistory,
    ChatMessage,
    ChatSent,
    ChatViewerState,
    HeldMessage,
    SystemKind,
)
from wire.events import Chat, chat_mod_room, chat_rooms

MAX_PAGE = 100
PRUNE_EVERY = 200  # messages into a stream between two retention passes over it
RETENTION_DEADLINE = "chat:retention"
RETENTION_EVERY = timedelta(hours=1)  # the age rule over every stream, quiet ones too


class ChatMessages:
    def __init__(self, db: Database, events: EventSink, limits: ChatLimits) -> None:
        self.db = db
        self.events = events
        self.limits = limits
        self.user_buckets = Buckets(limits.user_rate, limits.user_burst)
        self.room_buckets = Buckets(limits.room_rate, limits.room_burst)
        self._since_prune: dict[str, int] = {}

    # ---- who may write ------------------------------------------------------------
    def refusal(
        self, room: ChatRoom, user: AuthUser, rules: Row, standing: Standing | None
    ) -> DomainError | None:
        """Why ``user`` may not write in the room now (None: they may)."""
        if standing is None:
            return Forbidden("Sign in or create an account to chat.", code="account_required")
        if standing.role == "host":
            return None
        if standing.banned:
            return Forbidden("You are banned from this chat.", code="banned")
        if standing.timed_out_until is not None:
            left = (standing.timed_out_until - utc_now()).total_seconds()
            return TimedOut(f"You are timed out for {minutes_seconds(left)}.", retry_after=left)
        if rules["membersOnly"] and not standing.trusted:
            return self._not_member(room, standing, rules["minAccountAgeMinutes"])
        return None

    @staticmethod
    def _not_member(room: ChatRoom, standing: Standing, minutes: int) -> DomainError | None:
        """Members-only chat: the streamer's followers write (with an account at least
        ``minutes`` old, when the streamer asks for that too)."""
        streamer = owner_of(room.stream)
        if not standing.follower:
            return Forbidden(
                f"Only followers of {streamer} can chat here. Follow {streamer} to join in.",
                code="members_only",
            )
        age = utc_now() - standing.account_created
        if not minutes or age >= timedelta(minutes=minutes):
            return None
        wait = timedelta(minutes=minutes) - age
        return Forbidden(
            f"This chat is for followers whose account is at least {minutes} minutes old;"
            f" you can write in {minutes_seconds(wait.total_seconds())}.",
            code="members_only",
        )

    def viewer_state(self, room: ChatRoom, user: AuthUser, rules: Row) -> ChatViewerState:
        standing = Standing.of(self.db, room, user)
        refusal = self.refusal(room, user, rules, standing)
        return ChatViewerState(
            role=standing.role if standing else "guest",
            can_write=refusal is None,
            reason=refusal.message if refusal else None,
            timed_out_until=standing.timed_out_until if standing else None,
            banned=refusal is not None and refusal.code == "banned",
        )

    # ---- writing ------------------------------------------------------------------
    def send(self, room: ChatRoom, user: AuthUser, text: str) -> ChatSent:
        """Inside a transaction (the caller's ``run_once``): check, store and announce."""
        rules = room_rules(self.db, room.stream)
        standing = Standing.of(self.db, room, user)
        refusal = self.refusal(room, user, rules, standing)
        if refusal is not None:
            raise refusal
        assert standing is not None  # no refusal: a signed-in account
        text = self._valid_text(text)
        trusted = standing.trusted
        if not trusted and not rules["linksAllowed"] and has_link(text):
            raise Unprocessable("Links are not allowed in this chat.", code="links_not_allowed")
        if not trusted:
            self._check_slow_mode(standing, rules["slowModeSeconds"])
        self._check_duplicate(standing, text)
        if not trusted:
            self._take(self.user_buckets, f"{room.stream}\n{user.id}", "You are writing too fast")
        self._take(self.room_buckets, room.stream, "The chat is very busy")
        verdict = None if trusted else stored_words(rules["blockedWords"]).check(text)
        held = verdict is not None and rules["blockedAction"] == "hold"
        row = self.db.insert(
            "chat_messages",
            {
                "stream": room.stream,
                "kind": "user",
                "authorId": user.id,
                "authorRole": standing.role,
                "text": verdict.masked if verdict and not held else text,
                "masked": int(verdict is not None and not held),
                "matched": json.dumps(verdict.matched) if verdict else None,
                "status": "held" if held else "visible",
            },
        )
        author = {"username": standing.username, "displayName": standing.display_name}
        message = presenters.message({**row, **author, "systemKind": None})
        if held and verdict is not None:
            payload = HeldMessage(message=message, matched=list(verdict.matched))
            self._announce((chat_mod_room(room.stream),), Chat.HELD, payload)
        else:
            self._announce(chat_rooms(room.stream), Chat.MESSAGE, message)
        self._count_for_retention(room.stream)
        return ChatSent(message=message, held=held)

    def _valid_text(self, text: str) -> str:
        text = clean(text)
        if not text:
            raise Unprocessable("Write something first.", code="empty_message")
        length = graphemes(text)
        if length > MAX_MESSAGE_GRAPHEMES:
            raise Unprocessable(
                f"Messages are at most {MAX_MESSAGE_GRAPHEMES} characters; this one has {length}.",
                code="message_too_long",
            )
        return text

    @staticmethod
    def _check_slow_mode(standing: Standing, seconds: int) -> None:
        if not seconds or standing.last_at is None:
            return
        wait = seconds - (utc_now() - standing.last_at).total_seconds()
        if wait > 0:
            error = RateLimited(
                f"Slow mode is on: one message every {seconds} s. Wait {max(1, round(wait))} s.",
                retry_after=wait,
            )
            error.code = "slow_mode"
            raise error

    def _check_duplicate(self, standing: Standing, text: str) -> None:
        last = standing.last_text
        if last is None or standing.last_at is None or last.casefold() != text.casefold():
            return
        age = (utc_now() - standing.last_at).total_seconds()
        if age < self.limits.duplicate_window_seconds:
            raise Conflict("You just sent that; say something new.", code="duplicate_message")

    @staticmethod
    def _take(buckets: Buckets, key: str, what: str) -> None:
        wait = buckets.take(key)
        if wait > 0:
            raise RateLimited(f"{what}; try again in {max(1, round(wait))} s.", retry_after=wait)

    def post_system(self, stream: str, kind: SystemKind, text: str) -> ChatMessage:
        """A line the server writes about something that happened in the stream."""
        return self.post_system_lines(stream, [(kind, text)])[0]

    def post_system_lines(
        self, stream: str, lines: Sequence[tuple[SystemKind, str]]
    ) -> list[ChatMessage]:
        """Lines ``(kind, text)`` the server writes about the stream, in order, in one
        statement (a gift storm's gathered lines)."""
        records = [
            {"stream": stream, "kind": "system", "systemKind": kind, "text": text}
            for kind, text in lines
        ]
        with self.db.transaction():
            rows = self.db.insert_many("chat_messages", records)
            messages = [presenters.message({**row, "masked": 0, "authorId": None}) for row in rows]
            for message in messages:
                self._announce(chat_rooms(stream), Chat.MESSAGE, message)
                self._count_for_retention(stream)
        return messages

    def _announce(
        self, rooms: tuple[str, ...], event: str, payload: ChatMessage | HeldMessage
    ) -> None:
        self.db.after_commit(lambda: self.events.publish_many(rooms, event, payload))

    # ---- reading ------------------------------------------------------------------
    def history(
        self, room: ChatRoom, user: AuthUser, before: str | None, limit: int
    ) -> ChatHistory:
        limit = max(1, min(MAX_PAGE, limit))
        below = self._position(room, before) if before else None
        rows = self.db.all(
            presenters.MESSAGE_SELECT
            + " WHERE m.stream = ? AND m.status = 'visible' AND m.rowid < ?"
            " ORDER BY m.rowid DESC LIMIT ?",
            (room.stream, below if below is not None else 1 << 62, limit + 1),
        )
        more = len(rows) > limit
        rows = rows[:limit]
        rules = room_rules(self.db, room.stream)
        return ChatHistory(
            stream=room.stream,
            messages=[presenters.message(row) for row in rows],
            next_before=rows[-1]["id"] if more else None,
            pinned=self.pinned(room.stream, rules),
            settings=presenters.settings(room.stream, rules),
            viewer=self.viewer_state(room, user, rules),
        )

    def _position(self, room: ChatRoom, message_id: str) -> int:
        seq = self.db.scalar(
            "SELECT rowid FROM chat_messages WHERE id = ? AND stream = ?",
            (message_id, room.stream),
        )
        if seq is None:
            raise NotFound("'before' names no message of this chat.", code="message_not_found")
        return int(seq)

    def pinned(self, stream: str, rules: Row) -> ChatMessage | None:
        if not rules["pinnedMessageId"]:
            return None
        row = self.db.one(
            presenters.MESSAGE_SELECT + " WHERE m.id = ? AND m.status = 'visible'",
            (rules["pinnedMessageId"],),
        )
        return presenters.message(row) if row else None

    # ---- retention ----------------------------------------------------------------
    def _count_for_retention(self, stream: str) -> None:
        count = self._since_prune.get(stream, 0) + 1
        self._since_prune[stream] = count
        if count >= PRUNE_EVERY:
            self._since_prune[stream] = 0
            self.db.after_commit(lambda: self._prune_quietly(stream))

    def keep_pruning(self, scheduler: Scheduler) -> None:
        """Apply the age rule now (soon after start) and every ``RETENTION_EVERY`` after."""

        def run(_: str) -> None:
            self.prune()
            scheduler.schedule(RETENTION_DEADLINE, "all", utc_now() + RETENTION_EVERY)

        scheduler.on(RETENTION_DEADLINE, run)
        scheduler.schedule(RETENTION_DEADLINE, "all", utc_now())

    def _prune_quietly(self, stream: str) -> None:
        self.prune(stream)

    def prune(self, stream: str | None = None) -> int:
        """Forget messages (tombstones too) older than the retention period, and a stream's
        oldest beyond its cap. ``stream`` None: the age rule over every stream."""
        cutoff = iso(utc_now() - timedelta(days=self.limits.retention_days))
        with self.db.transaction():
            if stream is None:
                return self.db.execute("DELETE FROM chat_messages WHERE createdAt < ?", (cutoff,))
            removed = self.db.execute(
                "DELETE FROM chat_messages WHERE stream = ? AND createdAt < ?", (stream, cutoff)
            )
            return removed + self.db.execute(
                "DELETE FROM chat_messages WHERE stream = :s AND rowid <= (SELECT rowid"
                " FROM chat_messages WHERE stream = :s ORDER BY rowid DESC LIMIT 1 OFFSET :cap)",
                {"s": stream, "cap": self.limits.retention_max_per_stream},
            )

"""What the streamer and moderators do to a chat; every action lands in the moderation log."""

from __future__ import annotations

import json
from datetime import timedelta

from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.events import EventSink
from backend.identity import AuthUser
from backend.services.chat import presenters
from backend.services.chat.roles import (
    ChatRoom,
    is_moderator,
    require_host,
    require_moderator,
)
from backend.services.chat.store import change_rules, find_message, record_action, room_rules
from backend.services.chat.words import MAX_WORD_LENGTH, MAX_WORDS, normalise_entry
from backend.storage.db import Database, Row, iso, now_iso, parse_iso, utc_now
from wire.base import WireModel
from wire.chat import (
    TIMEOUT_MINUTES,
    BlockedWordAction,
    BlockedWords,
    ChatBan,
    ChatCleared,
    ChatDeleted,
    ChatModerators,
    ChatPinned,
    ChatReport,
    ChatReportFiled,
    ChatRestrictions,
    ChatSettings,
    ChatTimeout,
    ChatUnpinned,
    ChatUser,
    ChatUserBanned,
    ChatUserTimedOut,
    HeldDecision,
    HeldMessage,
    ModerationAction,
)
from wire.events import Chat, chat_mod_room, chat_rooms

MAX_SLOW_MODE_SECONDS = 600
MAX_ACCOUNT_AGE_MINUTES = 60 * 24 * 90
MAX_LOG_PAGE = 200


class ChatModeration:
    def __init__(self, db: Database, events: EventSink) -> None:
        self.db = db
        self.events = events

    # ---- helpers ------------------------------------------------------------------
    def _public(self, room: ChatRoom, event: str, payload: WireModel) -> None:
        rooms = chat_rooms(room.stream)
        self.db.after_commit(lambda: self.events.publish_many(rooms, event, payload))

    def _to_moderators(self, room: ChatRoom, event: str, payload: WireModel) -> None:
        target = chat_mod_room(room.stream)
        self.db.after_commit(lambda: self.events.publish(target, event, payload))

    def _log(
        self,
        room: ChatRoom,
        actor: AuthUser,
        action: str,
        *,
        target_user_id: str | None = None,
        message_id: str | None = None,
        detail: str = "",
    ) -> ModerationAction:
        row = record_action(
            self.db,
            room.stream,
            actor.id,
            action,
            target_user_id=target_user_id,
            message_id=message_id,
            detail=detail,
        )
        ids = {actor.id} | ({target_user_id} if target_user_id else set())
        entry = presenters.action(row, presenters.user_cards(self.db, ids))
        self._to_moderators(room, Chat.ACTION, entry)
        return entry

    def _user(self, user_id: str) -> ChatUser:
        card = presenters.user_cards(self.db, {user_id}).get(user_id)
        if card is None:
            raise NotFound("There is no such user.", code="user_not_found")
        return card

    def _may_act_on(self, room: ChatRoom, actor: AuthUser, target_id: str) -> ChatUser:
        """The target of a time out or ban: never the host, nor yourself; a moderator is
        first made a viewer again by the host."""
        card = self._user(target_id)
        if target_id == room.owner_id:
            raise Forbidden("The streamer cannot be timed out or banned.", code="target_is_host")
        if target_id == actor.id:
            raise InvalidInput("You cannot do this to yourself.", code="target_is_self")
        if is_moderator(self.db, room, target_id):
            raise Forbidden(
                "They are a moderator: the streamer removes that role first.",
                code="target_is_moderator",
            )
        return card

    # ---- messages -----------------------------------------------------------------
    def delete(self, room: ChatRoom, actor: AuthUser, message_id: str) -> ChatDeleted:
        """The host, a moderator, or the message's own author removes it (kept as a tombstone)."""
        with self.db.transaction():
            row = find_message(self.db, room.stream, message_id)
            if row["authorId"] != actor.id or actor.is_guest:
                require_moderator(self.db, room, actor)
            self._remove(room, actor, row)
            self._log(
                room,
                actor,
                "delete",
                target_user_id=row["authorId"],
                message_id=message_id,
                detail=row["text"],
            )
        return ChatDeleted(stream=room.stream, message_id=message_id)

    def _remove(self, room: ChatRoom, actor: AuthUser, row: Row) -> None:
        """Tombstone a message (kept for the log, never served) and tell the room."""
        stamp = now_iso()
        self.db.execute(
            "UPDATE chat_messages SET status = 'deleted', removedBy = ?, removedAt = ?,"
            " updatedAt = ? WHERE id = ?",
            (actor.id, stamp, stamp, row["id"]),
        )
        self._public(room, Chat.DELETED, ChatDeleted(stream=room.stream, message_id=row["id"]))
        if room_rules(self.db, room.stream)["pinnedMessageId"] == row["id"]:
            change_rules(self.db, room.stream, {"pinnedMessageId": None, "pinnedBy": None})
            self._public(
                room, Chat.UNPINNED, ChatUnpinned(stream=room.stream, message_id=row["id"])
            )

    def pin(self, room: ChatRoom, actor: AuthUser, message_id: str) -> ChatPinned:
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            row = find_message(self.db, room.stream, message_id)
            change_rules(
                self.db, room.stream, {"pinnedMessageId": message_id, "pinnedBy": actor.id}
            )
            pinned = ChatPinned(
                stream=room.stream, message=presenters.message(row), pinned_by=self._user(actor.id)
            )
            self._public(room, Chat.PINNED, pinned)
            self._log(room, actor, "pin", target_user_id=row["authorId"], message_id=message_id)
        return pinned

    def unpin(self, room: ChatRoom, actor: AuthUser) -> ChatUnpinned:
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            message_id = room_rules(self.db, room.stream)["pinnedMessageId"]
            if not message_id:
                raise Conflict("No message is pinned.", code="nothing_pinned")
            change_rules(self.db, room.stream, {"pinnedMessageId": None, "pinnedBy": None})
            unpinned = ChatUnpinned(stream=room.stream, message_id=message_id)
            self._public(room, Chat.UNPINNED, unpinned)
            self._log(room, actor, "unpin", message_id=message_id)
        return unpinned

    def clear(self, room: ChatRoom, actor: AuthUser) -> ChatCleared:
        """Every visible message (and the pin) goes; the rows stay as tombstones."""
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            stamp = now_iso()
            count = self.db.execute(
                "UPDATE chat_messages SET status = 'cleared', removedBy = ?, removedAt = ?,"
                " updatedAt = ? WHERE stream = ? AND status = 'visible'",
                (actor.id, stamp, stamp, room.stream),
            )
            change_rules(self.db, room.stream, {"pinnedMessageId": None, "pinnedBy": None})
            cleared = ChatCleared(stream=room.stream, cleared_at=parse_iso(stamp))
            self._public(room, Chat.CLEARED, cleared)
            self._log(room, actor, "clear", detail=f"{count} messages")
        return cleared

    # ---- people -------------------------------------------------------------------
    def time_out(
        self, room: ChatRoom, actor: AuthUser, user_id: str, minutes: int
    ) -> ChatUserTimedOut:
        if minutes not in TIMEOUT_MINUTES:
            raise InvalidInput("A time out lasts 1, 5, 10 or 60 minutes.", code="bad_duration")
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            card = self._may_act_on(room, actor, user_id)
            until = utc_now() + timedelta(minutes=minutes)
            stamp = now_iso()
            self.db.execute(
                "INSERT INTO chat_timeouts"
                " (id, createdAt, updatedAt, stream, userId, byId, untilAt)"
                " VALUES (lower(hex(randomblob(16))), :t, :t, :s, :u, :by, :until)"
                " ON CONFLICT (stream, userId) DO UPDATE SET byId = :by, untilAt = :until,"
                " updatedAt = :t",
                {"t": stamp, "s": room.stream, "u": user_id, "by": actor.id, "until": iso(until)},
            )
            event = ChatUserTimedOut(
                stream=room.stream, user=card, until=until, seconds=minutes * 60
            )
            self._public(room, Chat.USER_TIMED_OUT, event)
            self._log(room, actor, "timeout", target_user_id=user_id, detail=f"{minutes} min")
        return event

    def lift_time_out(self, room: ChatRoom, actor: AuthUser, user_id: str) -> ChatUserTimedOut:
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            card = self._user(user_id)
            removed = self.db.execute(
                "DELETE FROM chat_timeouts WHERE stream = ? AND userId = ? AND untilAt > ?",
                (room.stream, user_id, now_iso()),
            )
            if not removed:
                raise NotFound("They are not timed out.", code="not_timed_out")
            event = ChatUserTimedOut(stream=room.stream, user=card, until=utc_now(), seconds=0)
            self._public(room, Chat.USER_TIMED_OUT, event)
            self._log(room, actor, "untimeout", target_user_id=user_id)
        return event

    def ban(self, room: ChatRoom, actor: AuthUser, user_id: str) -> ChatUserBanned:
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            card = self._may_act_on(room, actor, user_id)
            stamp = now_iso()
            added = self.db.execute(
                "INSERT OR IGNORE INTO chat_bans (id, createdAt, updatedAt, stream, userId, byId)"
                " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?)",
                (stamp, stamp, room.stream, user_id, actor.id),
            )
            if not added:
                raise Conflict("They are already banned.", code="already_banned")
            self.db.execute(
                "DELETE FROM chat_timeouts WHERE stream = ? AND userId = ?", (room.stream, user_id)
            )
            event = ChatUserBanned(stream=room.stream, user=card, banned=True)
            self._public(room, Chat.USER_BANNED, event)
            self._log(room, actor, "ban", target_user_id=user_id)
        return event

    def unban(self, room: ChatRoom, actor: AuthUser, user_id: str) -> ChatUserBanned:
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            card = self._user(user_id)
            removed = self.db.execute(
                "DELETE FROM chat_bans WHERE stream = ? AND userId = ?", (room.stream, user_id)
            )
            if not removed:
                raise NotFound("They are not banned.", code="not_banned")
            event = ChatUserBanned(stream=room.stream, user=card, banned=False)
            self._public(room, Chat.USER_BANNED, event)
            self._log(room, actor, "unban", target_user_id=user_id)
        return event

    def restrictions(self, room: ChatRoom, actor: AuthUser) -> ChatRestrictions:
        require_moderator(self.db, room, actor)
        bans = self.db.all(
            "SELECT userId, byId, createdAt FROM chat_bans WHERE stream = ? ORDER BY createdAt",
            (room.stream,),
        )
        timeouts = self.db.all(
            "SELECT userId, byId, untilAt FROM chat_timeouts WHERE stream = ? AND untilAt > ?"
            " ORDER BY untilAt",
            (room.stream, now_iso()),
        )
        ids = {r["userId"] for r in bans + timeouts} | {r["byId"] for r in bans + timeouts}
        cards = presenters.user_cards(self.db, ids)
        return ChatRestrictions(
            stream=room.stream,
            bans=[
                ChatBan(
                    user=cards[r["userId"]],
                    by=cards[r["byId"]],
                    created_at=parse_iso(r["createdAt"]),
                )
                for r in bans
                if r["userId"] in cards and r["byId"] in cards
            ],
            timeouts=[
                ChatTimeout(
                    user=cards[r["userId"]], by=cards[r["byId"]], until=parse_iso(r["untilAt"])
                )
                for r in timeouts
                if r["userId"] in cards and r["byId"] in cards
            ],
        )

    # ---- moderators ---------------------------------------------------------------
    def moderators(self, room: ChatRoom) -> ChatModerators:
        rows = self.db.all(
            "SELECT u.id, u.username, u.displayName FROM chat_moderators m"
            " JOIN users u ON u.id = m.userId WHERE m.stream = ? ORDER BY m.createdAt",
            (room.stream,),
        )
        return ChatModerators(
            stream=room.stream, moderators=[presenters.chat_user(r) for r in rows]
        )

    def appoint(self, room: ChatRoom, actor: AuthUser, user_id: str) -> ChatModerators:
        require_host(room, actor)
        with self.db.transaction():
            self._user(user_id)
            if user_id == room.owner_id:
                raise InvalidInput("The streamer moderates already.", code="target_is_host")
            if self.db.scalar(
                "SELECT 1 FROM chat_bans WHERE stream = ? AND userId = ?", (room.stream, user_id)
            ):
                raise Conflict("Lift their ban first.", code="target_banned")
            stamp = now_iso()
            self.db.execute(
                "INSERT OR IGNORE INTO chat_moderators"
                " (id, createdAt, updatedAt, stream, userId, appointedBy)"
                " VALUES (lower(hex(randomblob(16))), ?, ?, ?, ?, ?)",
                (stamp, stamp, room.stream, user_id, actor.id),
            )
            self.db.execute(
                "DELETE FROM chat_timeouts WHERE stream = ? AND userId = ?", (room.stream, user_id)
            )
            result = self.moderators(room)
            self._public(room, Chat.MODERATORS, result)
            self._log(room, actor, "moderator-added", target_user_id=user_id)
        return result

    def dismiss(self, room: ChatRoom, actor: AuthUser, user_id: str) -> ChatModerators:
        require_host(room, actor)
        with self.db.transaction():
            removed = self.db.execute(
                "DELETE FROM chat_moderators WHERE stream = ? AND userId = ?",
                (room.stream, user_id),
            )
            if not removed:
                raise NotFound("They are not a moderator of this stream.", code="not_moderator")
            result = self.moderators(room)
            self._public(room, Chat.MODERATORS, result)
            self._log(room, actor, "moderator-removed", target_user_id=user_id)
        return result

    # ---- rules --------------------------------------------------------------------
    def settings(self, room: ChatRoom) -> ChatSettings:
        return presenters.settings(room.stream, room_rules(self.db, room.stream))

    def update_settings(self, room: ChatRoom, actor: AuthUser, changes: Row) -> ChatSettings:
        """``changes``: any of slowModeSeconds, membersOnly, minAccountAgeMinutes,
        linksAllowed (already validated by the caller's body model)."""
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            stored = {k: int(v) for k, v in changes.items()}
            rules = change_rules(self.db, room.stream, stored)
            result = presenters.settings(room.stream, rules)
            self._public(room, Chat.SETTINGS, result)
            detail = ", ".join(f"{k}={v}" for k, v in sorted(stored.items()))
            self._log(room, actor, "settings", detail=detail)
        return result

    def blocked_words(self, room: ChatRoom, actor: AuthUser) -> BlockedWords:
        require_moderator(self.db, room, actor)
        return presenters.blocked_words(room.stream, room_rules(self.db, room.stream))

    def set_blocked_words(
        self, room: ChatRoom, actor: AuthUser, words: list[str], action: BlockedWordAction
    ) -> BlockedWords:
        entries = list(
            dict.fromkeys(e for e in (normalise_entry(w) for w in words) if e.strip("*"))
        )
        if len(entries) > MAX_WORDS:
            raise InvalidInput(f"At most {MAX_WORDS} blocked words.", code="too_many_words")
        too_long = [e for e in entries if len(e) > MAX_WORD_LENGTH]
        if too_long:
            raise InvalidInput(
                f"A blocked word is at most {MAX_WORD_LENGTH} letters: '{too_long[0][:20]}…'.",
                code="word_too_long",
            )
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            rules = change_rules(
                self.db,
                room.stream,
                {"blockedWords": json.dumps(entries, ensure_ascii=False), "blockedAction": action},
            )
            self._log(room, actor, "blocked-words", detail=f"{len(entries)} words, {action}")
        return presenters.blocked_words(room.stream, rules)

    # ---- reports and held messages ------------------------------------------------
    def report(
        self, room: ChatRoom, reporter: AuthUser, message_id: str, reason: str
    ) -> ChatReportFiled:
        if reporter.is_guest:
            raise Forbidden("Sign in to report a message.", code="account_required")
        with self.db.transaction():
            row = find_message(self.db, room.stream, message_id)
            if row["kind"] != "user":
                raise InvalidInput("Only viewers' messages can be reported.", code="not_reportable")
            if row["authorId"] == reporter.id:
                raise InvalidInput("You cannot report your own message.", code="own_message")
            existing = self.db.scalar(
                "SELECT id FROM chat_reports WHERE messageId = ? AND reporterId = ?",
                (message_id, reporter.id),
            )
            if existing:
                return ChatReportFiled(id=existing, message_id=message_id)
            report = self.db.insert(
                "chat_reports",
                {
                    "stream": room.stream,
                    "messageId": message_id,
                    "reporterId": reporter.id,
                    "reason": reason,
                },
            )
            self._to_moderators(room, Chat.REPORT, self._present_report(report["id"]))
        return ChatReportFiled(id=report["id"], message_id=message_id)

    def _present_report(self, report_id: str) -> ChatReport:
        row = self.db.one("SELECT * FROM chat_reports WHERE id = ?", (report_id,))
        if row is None:
            raise NotFound("There is no such report.", code="report_not_found")
        message = self.db.one(presenters.MESSAGE_SELECT + " WHERE m.id = ?", (row["messageId"],))
        if message is None:  # reports go with their message (ON DELETE CASCADE)
            raise NotFound("The reported message is gone.", code="message_not_found")
        ids = {row["reporterId"]} | ({row["resolvedBy"]} if row["resolvedBy"] else set())
        cards = presenters.user_cards(self.db, ids)
        return ChatReport(
            id=row["id"],
            stream=row["stream"],
            message=presenters.message(message),
            reporter=cards[row["reporterId"]],
            reason=row["reason"],
            status=row["status"],
            created_at=parse_iso(row["createdAt"]),
            resolved_by=cards.get(row["resolvedBy"]) if row["resolvedBy"] else None,
        )

    def reports(self, room: ChatRoom, actor: AuthUser, status: str) -> list[ChatReport]:
        require_moderator(self.db, room, actor)
        ids = self.db.all(
            "SELECT id FROM chat_reports WHERE stream = ? AND status = ? ORDER BY createdAt"
            " LIMIT 200",
            (room.stream, status),
        )
        return [self._present_report(r["id"]) for r in ids]

    def resolve_report(
        self, room: ChatRoom, actor: AuthUser, report_id: str, remove: bool
    ) -> ChatReport:
        """Dismiss a report, or remove the message it is about (every open report of that
        message is resolved with it)."""
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            row = self.db.one(
                "SELECT * FROM chat_reports WHERE id = ? AND stream = ?", (report_id, room.stream)
            )
            if row is None:
                raise NotFound("There is no such report.", code="report_not_found")
            if row["status"] != "open":
                raise Conflict(f"This report is {row['status']} already.", code="report_closed")
            status = "removed" if remove else "dismissed"
            if remove:
                message = self.db.one(
                    "SELECT * FROM chat_messages WHERE id = ? AND status = 'visible'",
                    (row["messageId"],),
                )
                if message is not None:
                    self._remove(room, actor, message)
            siblings = self.db.all(
                "SELECT id FROM chat_reports WHERE messageId = ? AND status = 'open'"
                + ("" if remove else " AND id = ?"),
                (row["messageId"],) if remove else (row["messageId"], report_id),
            )
            for sibling in siblings:
                self.db.update(
                    "chat_reports", sibling["id"], {"status": status, "resolvedBy": actor.id}
                )
                self._to_moderators(room, Chat.REPORT, self._present_report(sibling["id"]))
            self._log(
                room,
                actor,
                "report-removed" if remove else "report-dismissed",
                target_user_id=self.db.scalar(
                    "SELECT authorId FROM chat_messages WHERE id = ?", (row["messageId"],)
                ),
                message_id=row["messageId"],
                detail=row["reason"],
            )
        return self._present_report(report_id)

    def held(self, room: ChatRoom, actor: AuthUser) -> list[HeldMessage]:
        require_moderator(self.db, room, actor)
        rows = self.db.all(
            presenters.MESSAGE_SELECT + " WHERE m.stream = ? AND m.status = 'held'"
            " ORDER BY m.rowid LIMIT 200",
            (room.stream,),
        )
        return [
            HeldMessage(message=presenters.message(r), matched=json.loads(r["matched"] or "[]"))
            for r in rows
        ]

    def decide_held(
        self, room: ChatRoom, actor: AuthUser, message_id: str, approve: bool
    ) -> HeldDecision:
        """Approve (the message appears in the chat now) or reject a held message."""
        with self.db.transaction():
            require_moderator(self.db, room, actor)
            row = find_message(self.db, room.stream, message_id, status="held")
            status = "visible" if approve else "rejected"
            self.db.update("chat_messages", message_id, {"status": status})
            if approve:
                self._public(room, Chat.MESSAGE, presenters.message(row))
            decision = HeldDecision(stream=room.stream, message_id=message_id, approved=approve)
            self._to_moderators(room, Chat.HELD_DECIDED, decision)
            self._log(
                room,
                actor,
                "held-approved" if approve else "held-rejected",
                target_user_id=row["authorId"],
                message_id=message_id,
                detail=row["text"],
            )
        return decision

    def log(self, room: ChatRoom, actor: AuthUser, limit: int) -> list[ModerationAction]:
        """The newest moderation actions first."""
        require_moderator(self.db, room, actor)
        rows = self.db.all(
            "SELECT * FROM chat_actions WHERE stream = ? ORDER BY rowid DESC LIMIT ?",
            (room.stream, max(1, min(MAX_LOG_PAGE, limit))),
        )
        ids = {r["actorId"] for r in rows} | {r["targetUserId"] for r in rows if r["targetUserId"]}
        cards = presenters.user_cards(self.db, ids)
        return [presenters.action(r, cards) for r in rows]

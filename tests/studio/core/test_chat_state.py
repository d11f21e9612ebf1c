"""The studio's chat state folds history and chat:* events the way the room changed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Literal, TypeVar

from studio.core.chat import MAX_MESSAGES, ChatState, ModerationLists
from studio.core.events import ServerEvent
from wire.base import WireModel
from wire.chat import (
    BlockedWords,
    ChatAuthor,
    ChatCleared,
    ChatDeleted,
    ChatHistory,
    ChatMessage,
    ChatModerators,
    ChatPinned,
    ChatReport,
    ChatRestrictions,
    ChatRole,
    ChatSettings,
    ChatUser,
    ChatUserBanned,
    ChatUserTimedOut,
    ChatViewerState,
    HeldDecision,
    HeldMessage,
    ModerationAction,
)
from wire.events import Chat

Answer = TypeVar("Answer")

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
NOAH = ChatAuthor(id="u-noah", username="noah", display_name="Noah", role="viewer")
ME = ChatUser(id="u-me", username="me", display_name="")


def message(number: int, author: ChatAuthor | None = NOAH, stream: str = "mia") -> ChatMessage:
    return ChatMessage(
        id=f"m{number}",
        stream=stream,
        kind="user" if author else "system",
        text=f"message {number}",
        author=author,
        system=None if author else "gift",
        created_at=START + timedelta(seconds=number),
    )


def event(name: str, payload: WireModel) -> ServerEvent:
    return ServerEvent(name, payload.to_wire())


def loaded(*messages: ChatMessage, role: ChatRole = "viewer") -> ChatState:
    state = ChatState("mia", ME.id)
    settings = ChatSettings(
        stream="mia",
        slow_mode_seconds=0,
        members_only=False,
        min_account_age_minutes=0,
        links_allowed=False,
    )
    viewer = ChatViewerState(role=role, can_write=True)
    newest_first = list(reversed(messages))
    state.load(ChatHistory(stream="mia", messages=newest_first, next_before=None, pinned=None,
                           settings=settings, viewer=viewer))  # fmt: skip
    return state


def test_history_is_shown_oldest_first_and_feeds_the_overlay() -> None:
    state = loaded(message(1), message(2, author=None))
    assert list(state.messages) == ["m1", "m2"]
    assert state.overlay_lines() == [("Noah", "message 1"), ("", "message 2")]


def test_events_of_another_stream_change_nothing() -> None:
    state = loaded(message(1))
    assert not state.apply(event(Chat.MESSAGE, message(2, stream="leo")))
    assert not state.apply(event(Chat.DELETED, ChatDeleted(stream="leo", message_id="m1")))
    assert list(state.messages) == ["m1"]


def test_delete_pin_and_clear() -> None:
    state = loaded(message(1), message(2), message(3))
    pinned = ChatPinned(stream="mia", message=message(2), pinned_by=ME)
    assert state.apply(event(Chat.PINNED, pinned))
    assert state.pinned is not None and state.pinned.id == "m2"
    assert state.apply(event(Chat.DELETED, ChatDeleted(stream="mia", message_id="m2")))
    assert list(state.messages) == ["m1", "m3"] and state.pinned is None
    cleared = ChatCleared(stream="mia", cleared_at=START + timedelta(seconds=1))
    assert state.apply(event(Chat.CLEARED, cleared))
    assert list(state.messages) == ["m3"]  # only what came after the clear


def test_a_held_message_leaves_the_queue_when_decided_or_approved() -> None:
    state = loaded()
    held = HeldMessage(message=message(5), matched=["spoiler*"])
    state.apply(event(Chat.HELD, held))
    assert list(state.held) == ["m5"] and state.messages == {}
    state.apply(event(Chat.MESSAGE, message(5)))  # approved: it arrives like any other
    assert state.held == {} and list(state.messages) == ["m5"]
    state.apply(event(Chat.HELD, HeldMessage(message=message(6), matched=["x"])))
    state.apply(
        event(Chat.HELD_DECIDED, HeldDecision(stream="mia", message_id="m6", approved=False))
    )
    assert state.held == {}


def test_being_timed_out_disables_writing_with_the_time_left() -> None:
    state = loaded()
    until = START + timedelta(minutes=5)
    timed_out = ChatUserTimedOut(stream="mia", user=ME, until=until, seconds=272)
    state.apply(event(Chat.USER_TIMED_OUT, timed_out))
    assert state.viewer is not None and not state.viewer.can_write
    assert state.viewer.reason == "You are timed out for 4:32."
    lifted = ChatUserTimedOut(stream="mia", user=ME, until=START, seconds=0)
    state.apply(event(Chat.USER_TIMED_OUT, lifted))
    assert state.viewer.can_write and state.viewer.reason is None


def test_the_dock_keeps_a_bounded_number_of_messages() -> None:
    state = loaded()
    for number in range(MAX_MESSAGES + 5):
        state.apply(event(Chat.MESSAGE, message(number)))
    assert len(state.messages) == MAX_MESSAGES
    assert next(iter(state.messages)) == "m5"  # the oldest went first


def test_bans_and_time_outs_are_listed_until_lifted_or_over() -> None:
    state = loaded()
    eve = ChatUser(id="u-eve", username="eve", display_name="Eve")
    noah = ChatUser(id=NOAH.id, username=NOAH.username, display_name=NOAH.display_name)
    until = START + timedelta(minutes=5)
    state.apply(event(Chat.USER_TIMED_OUT, ChatUserTimedOut(stream="mia", user=noah, until=until,
                                                            seconds=300)))  # fmt: skip
    state.apply(event(Chat.USER_BANNED, ChatUserBanned(stream="mia", user=eve, banned=True)))
    shown = [r.describe(START + timedelta(seconds=28)) for r in state.restrictions(START)]
    assert shown == ["Eve (@eve): banned", "Noah (@noah): timed out, 4:32 left"]
    assert [r.user.id for r in state.restrictions(until)] == ["u-eve"]  # the time out is over
    # A ban outlasts a time out: lifting one that was replaced by a ban keeps the ban.
    state.apply(event(Chat.USER_BANNED, ChatUserBanned(stream="mia", user=noah, banned=True)))
    lifted = ChatUserTimedOut(stream="mia", user=noah, until=START, seconds=0)
    state.apply(event(Chat.USER_TIMED_OUT, lifted))
    assert [r.banned for r in state.restrictions(START)] == [True, True]
    for user in (eve, noah):
        state.apply(event(Chat.USER_BANNED, ChatUserBanned(stream="mia", user=user, banned=False)))
    assert state.restrictions(START) == []


def history(state: ChatState, *newest_first: ChatMessage) -> ChatHistory:
    return ChatHistory(stream="mia", messages=list(newest_first), next_before=None, pinned=None,
                       settings=state.settings, viewer=state.viewer)  # fmt: skip


async def while_on_its_way(
    read: Callable[[Awaitable[Answer]], Coroutine[Any, Any, None]],
    answer: Answer,
    *meanwhile: Callable[[], object],
) -> None:
    """``read`` takes ``answer``, read before ``meanwhile`` happen while it is on its way."""
    future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
    reading = asyncio.create_task(read(future))
    await asyncio.sleep(0)
    for each in meanwhile:
        each()
    future.set_result(answer)
    await reading


async def read(state: ChatState, page: ChatHistory, *meanwhile: ServerEvent) -> None:
    """``state`` reads ``page`` of history; ``meanwhile`` come while it is on its way."""
    await while_on_its_way(state.read_history, page, *(partial(state.apply, e) for e in meanwhile))


async def test_messages_come_while_the_history_is_on_its_way_are_kept() -> None:
    state = loaded(message(1))
    await read(state, history(state, message(2), message(1)), event(Chat.MESSAGE, message(3)))
    assert list(state.messages) == ["m1", "m2", "m3"]
    state.load(history(state, message(2)))
    assert list(state.messages) == ["m2"]  # what arrived before that load is the history's now


async def test_deletes_pins_and_clears_made_while_the_history_is_on_its_way_stay_made() -> None:
    state = loaded(message(1), message(2), message(3), message(4))
    page = history(state, message(4), message(3), message(2), message(1))
    await read(
        state,
        page,
        event(Chat.DELETED, ChatDeleted(stream="mia", message_id="m4")),
        event(Chat.CLEARED, ChatCleared(stream="mia", cleared_at=START + timedelta(seconds=1))),
        event(Chat.PINNED, ChatPinned(stream="mia", message=message(3), pinned_by=ME)),
    )
    assert list(state.messages) == ["m2", "m3"]
    assert state.pinned is not None and state.pinned.id == "m3"

    state.load(page)
    assert list(state.messages) == ["m1", "m2", "m3", "m4"]  # a later load is the server's word
    assert state.pinned is None


async def test_events_from_before_the_history_was_asked_for_are_not_made_again_over_it() -> None:
    """The history is read again after a reconnect: what changed while the studio was away
    (its events missed) is the page's word, not undone by events seen before."""
    state = loaded(message(1), message(2))
    state.apply(event(Chat.PINNED, ChatPinned(stream="mia", message=message(2), pinned_by=ME)))
    state.apply(event(Chat.MESSAGE, message(3)))
    # Away: m3 deleted and the pin lifted. Back: the history is read again.
    await read(state, history(state, message(2), message(1)))
    assert list(state.messages) == ["m1", "m2"] and state.pinned is None


def pin_action(number: int) -> ModerationAction:
    return ModerationAction(id=f"a{number}", stream="mia", actor=ME, action="pin",
                            created_at=START + timedelta(seconds=number))  # fmt: skip


def moderation_lists(
    moderators: tuple[ChatUser, ...] = (),
    reports: tuple[ChatReport, ...] = (),
    log: tuple[ModerationAction, ...] = (),
) -> ModerationLists:
    return (
        ChatModerators(stream="mia", moderators=list(moderators)),
        BlockedWords(stream="mia", words=[], action="mask"),
        list(reports),
        [],
        list(log),
        ChatRestrictions(stream="mia", bans=[], timeouts=[]),
    )


async def read_moderation(
    state: ChatState, lists: ModerationLists, *meanwhile: Callable[[], object]
) -> None:
    await while_on_its_way(state.read_moderation, lists, *meanwhile)


CAROL = ChatUser(id="u-carol", username="carol", display_name="Carol")


async def test_a_moderator_appointed_while_the_list_is_on_its_way_stays_a_moderator() -> None:
    state = loaded(role="host")
    appointed = ChatModerators(stream="mia", moderators=[CAROL])  # the POST's answer
    await read_moderation(state, moderation_lists(), partial(state.set_moderators, appointed))
    assert state.is_moderator(CAROL.id)

    await read_moderation(state, moderation_lists())  # a later read is the server's word again
    assert not state.is_moderator(CAROL.id)


def report(number: int, status: Literal["open", "dismissed"] = "open") -> ChatReport:
    return ChatReport(id=f"r{number}", stream="mia", message=message(number), reporter=ME,
                      reason="spam", status=status, created_at=START)  # fmt: skip


async def test_reports_made_or_closed_while_the_queue_is_on_its_way_are_kept() -> None:
    state = loaded(role="host")
    await read_moderation(
        state,
        moderation_lists(reports=(report(2),)),
        partial(state.apply, event(Chat.REPORT, report(1))),  # made after the queue was read
        partial(state.apply, event(Chat.REPORT, report(2, "dismissed"))),  # closed after
    )
    assert list(state.reports) == ["r1"]

    await read_moderation(state, moderation_lists())  # a later read is the server's word again
    assert state.reports == {}


async def test_moderation_from_before_the_lists_were_asked_for_is_not_made_again_over_them() -> (
    None
):
    """The lists are read again after a reconnect: a report closed and a moderator dismissed
    while the studio was away (their events missed) stay so, not undone by older events."""
    state = loaded(role="host")
    state.apply(event(Chat.REPORT, report(1)))
    state.set_moderators(ChatModerators(stream="mia", moderators=[CAROL]))
    # Away: r1 dismissed and Carol dismissed. Back: the lists are read again.
    await read_moderation(state, moderation_lists())
    assert state.reports == {} and not state.is_moderator(CAROL.id)


async def test_moderation_done_while_the_log_is_on_its_way_stays_in_the_log() -> None:
    state = loaded()
    await read_moderation(
        state,
        moderation_lists(log=(pin_action(2), pin_action(1))),
        partial(state.apply, event(Chat.ACTION, pin_action(3))),  # after a1, a2 were read
    )
    assert [a.id for a in state.log] == ["a3", "a2", "a1"]  # newest first

"""Live chat end to end: a real server, a real SQLite file, real WebSocket clients."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from backend.app import services_of
from backend.services.chat.system_lines import SystemLines
from backend.storage.db import Database, iso, parse_iso, utc_now
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.backend.test_live_shopping import live_session, product
from tests.backend.test_pk_battles import start_battle
from tests.servers import LiveServer
from wire.events import chat_mod_room, stream_room


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


def chat(host: ApiUser, path: str = "") -> str:
    return f"/api/streams/{host.username}/chat{path}"


async def say(user: ApiUser, host: ApiUser, text: str, **kwargs: object) -> httpx.Response:
    return await user.call("POST", chat(host), json={"text": text}, **kwargs)


async def guest(client: httpx.AsyncClient) -> ApiUser:
    data = (await client.post("/api/auth/guest")).json()["data"]
    return ApiUser(client, data["user"]["id"], data["user"]["username"], data["token"])


async def test_messages_reach_every_member_in_order_and_history_pages(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice, bob = await register(client), await register(client), await register(client)
    viewer = await guest(client)
    async with (
        Listener(server.ws_url, viewer.token) as first,
        Listener(server.ws_url, host.token) as second,
    ):
        for listener in (first, second):
            assert (await listener.join(stream_room(host.username)))["event"] == "joined"
        texts = [f"message {i}" for i in range(12)]
        for i, text in enumerate(texts):
            sender = alice if i % 2 else bob
            assert (await say(sender, host, text)).status_code == 200
        for listener in (first, second):
            await listener.wait_for(
                lambda e: e["event"] == "chat:message" and e["data"]["text"] == texts[-1]
            )
            user_lines = [m["text"] for m in listener.named("chat:message") if m["kind"] == "user"]
            assert user_lines == texts
        one = first.named("chat:message")[-1]
        assert one["author"]["id"] == alice.id and one["author"]["role"] == "viewer"

    page = await viewer.data("GET", chat(host, "?limit=5"))
    assert [m["text"] for m in page["messages"]] == texts[::-1][:5]  # newest first
    assert page["viewer"] == {
        "role": "guest",
        "canWrite": False,
        "reason": "Sign in or create an account to chat.",
        "timedOutUntil": None,
        "banned": False,
    }
    older = await viewer.data("GET", chat(host, f"?limit=5&before={page['nextBefore']}"))
    assert [m["text"] for m in older["messages"]] == texts[::-1][5:10]
    last = await viewer.data("GET", chat(host, f"?limit=5&before={older['nextBefore']}"))
    assert [m["text"] for m in last["messages"]] == texts[::-1][10:]
    assert last["nextBefore"] is None


async def test_text_limits_and_guests(client: httpx.AsyncClient) -> None:
    host, alice = await register(client), await register(client)
    visitor = await guest(client)
    refused = await say(visitor, host, "hello")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "account_required"
    for text, code in (("   \n\t ", "empty_message"), ("x" * 301, "message_too_long")):
        response = await say(alice, host, text)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code
    # 300 grapheme clusters are fine even when they are many code points and bytes.
    family = "👨‍👩‍👧"
    sent = await alice.data("POST", chat(host), json={"text": family * 300})
    assert sent["message"]["text"] == family * 300
    too_many = await say(alice, host, "🇫🇷" * 301)
    assert "this one has 301" in too_many.json()["error"]["message"]
    # Text is trimmed, made one line, and stripped of direction overrides.
    sent = await alice.data("POST", chat(host), json={"text": "  two\nlines \u202eevil  "})
    assert sent["message"]["text"] == "two lines evil"
    missing = await alice.call("POST", "/api/streams/nobody-here/chat", json={"text": "hi"})
    assert missing.status_code == 404


async def test_idempotency_key_sends_once(server: LiveServer, client: httpx.AsyncClient) -> None:
    host, alice = await register(client), await register(client)
    headers = {"Idempotency-Key": "retry-1"}
    first = await alice.data("POST", chat(host), json={"text": "once"}, headers=headers)
    again = await alice.data("POST", chat(host), json={"text": "once"}, headers=headers)
    assert again["replayed"] is True and again["message"]["id"] == first["message"]["id"]
    page = await alice.data("GET", chat(host))
    assert [m["text"] for m in page["messages"]] == ["once"]


async def test_duplicate_messages_and_links_are_refused(client: httpx.AsyncClient) -> None:
    host, alice = await register(client), await register(client)
    assert (await say(alice, host, "buy now")).status_code == 200
    dup = await say(alice, host, "BUY NOW")
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate_message"
    for link in ("see https://spam.example/x", "go to www.spam.net", "cheap at spam.com"):
        response = await say(alice, host, link)
        assert response.status_code == 422 and response.json()["error"]["code"] == (
            "links_not_allowed"
        )
    assert (await say(host, host, "my shop: https://shop.example")).status_code == 200
    await host.data("PATCH", chat(host, "/settings"), json={"linksAllowed": True})
    assert (await say(alice, host, "see https://spam.example/x")).status_code == 200


async def test_roles_a_viewer_cannot_moderate_and_a_moderator_only_in_their_stream(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, other_host = await register(client), await register(client)
    mod, alice, bob = await register(client), await register(client), await register(client)
    message = (await alice.data("POST", chat(host), json={"text": "hi all"}))["message"]
    # A viewer cannot delete someone else's message, time out, ban, pin or appoint.
    denied = await bob.call("DELETE", chat(host, f"/messages/{message['id']}"))
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "not_moderator"
    for method, path, body in (
        ("POST", "/timeouts", {"userId": alice.id, "minutes": 1}),
        ("POST", "/bans", {"userId": alice.id}),
        ("POST", "/pin", {"messageId": message["id"]}),
        ("POST", "/clear", None),
        ("GET", "/actions", None),
    ):
        assert (await bob.call(method, chat(host, path), json=body)).status_code == 403
    appoint = await bob.call("POST", f"/api/streams/{host.username}/moderators/{bob.id}")
    assert appoint.status_code == 403 and appoint.json()["error"]["code"] == "not_host"

    async with Listener(server.ws_url, alice.token) as ws:
        await ws.join(stream_room(host.username))
        mods = await host.data("POST", f"/api/streams/{host.username}/moderators/{mod.id}")
        assert [m["id"] for m in mods["moderators"]] == [mod.id]
        await ws.wait_for("chat:moderators")
        # The moderator has power in this stream only.
        other = (await alice.data("POST", chat(other_host), json={"text": "hey"}))["message"]
        elsewhere = await mod.call("DELETE", chat(other_host, f"/messages/{other['id']}"))
        assert elsewhere.status_code == 403
        assert (await join_mod_room(mod, server, other_host)) == "error"
        await mod.data("DELETE", chat(host, f"/messages/{message['id']}"))
        deleted = await ws.wait_for("chat:deleted")
        assert deleted["data"] == {"stream": host.username, "messageId": message["id"]}
    # Deleted messages are not served; the moderation log says who did it.
    page = await alice.data("GET", chat(host))
    assert message["id"] not in [m["id"] for m in page["messages"]]
    log = await host.data("GET", chat(host, "/actions"))
    assert [(e["action"], e["actor"]["id"]) for e in log][:2] == [
        ("delete", mod.id),
        ("moderator-added", host.id),
    ]
    assert log[0]["targetUser"]["id"] == alice.id and log[0]["detail"] == "hi all"
    # The author may delete their own message.
    own = (await bob.data("POST", chat(host), json={"text": "oops"}))["message"]
    await bob.data("DELETE", chat(host, f"/messages/{own['id']}"))
    # Moderators: the host is never timed out or banned; moderators are not either.
    host_ban = await mod.call("POST", chat(host, "/bans"), json={"userId": host.id})
    assert host_ban.status_code == 403 and host_ban.json()["error"]["code"] == "target_is_host"
    mod_ban = await host.call("POST", chat(host, "/bans"), json={"userId": mod.id})
    assert mod_ban.json()["error"]["code"] == "target_is_moderator"


async def join_mod_room(user: ApiUser, server: LiveServer, host: ApiUser) -> str:
    async with Listener(server.ws_url, user.token) as ws:
        return str((await ws.join(chat_mod_room(host.username)))["event"])


def db_of(server: LiveServer) -> Database:
    return services_of(server.app).db


async def test_time_out_says_the_time_left_and_ends(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice = await register(client), await register(client)
    async with Listener(server.ws_url, alice.token) as ws:
        await ws.join(stream_room(host.username))
        timed = await host.data(
            "POST", chat(host, "/timeouts"), json={"userId": alice.id, "minutes": 5}
        )
        assert timed["seconds"] == 300 and timed["user"]["id"] == alice.id
        event = await ws.wait_for("chat:user-timed-out")
        assert event["data"]["until"] == timed["until"]
    refused = await say(alice, host, "let me talk")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "timed_out"
    assert re.fullmatch(r"You are timed out for (5:00|4:5\d)\.", error["message"]), error
    assert 290 <= int(refused.headers["Retry-After"]) <= 300
    state = (await alice.data("GET", chat(host)))["viewer"]
    assert state["canWrite"] is False and state["timedOutUntil"] == timed["until"]
    bad = await host.call("POST", chat(host, "/timeouts"), json={"userId": alice.id, "minutes": 7})
    assert bad.status_code == 422
    # Time passes (the stored end moves into the past): Alice writes again.
    db_of(server).execute(
        "UPDATE chat_timeouts SET untilAt = ? WHERE userId = ?",
        (iso(utc_now() - timedelta(seconds=1)), alice.id),
    )
    assert (await say(alice, host, "back again")).status_code == 200
    assert (await alice.data("GET", chat(host)))["viewer"]["canWrite"] is True


async def test_a_ban_holds_for_the_account_with_a_new_token(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice = await register(client), await register(client)
    await host.data("POST", chat(host, "/bans"), json={"userId": alice.id})
    login = await client.post(
        "/api/auth/login", json={"username": alice.username, "password": "correct horse"}
    )
    fresh = ApiUser(client, alice.id, alice.username, login.json()["data"]["token"])
    assert fresh.token != alice.token
    refused = await say(fresh, host, "it's me again")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "banned"
    state = (await fresh.data("GET", chat(host)))["viewer"]
    assert state["banned"] is True and state["reason"] == "You are banned from this chat."
    restrictions = await host.data("GET", chat(host, "/restrictions"))
    assert [b["user"]["id"] for b in restrictions["bans"]] == [alice.id]
    # Banned in this stream only; and a lifted ban lets them write again.
    assert (await say(fresh, await register(client), "elsewhere")).status_code == 200
    await host.data("DELETE", chat(host, f"/bans/{alice.id}"))
    assert (await say(fresh, host, "thanks")).status_code == 200


async def test_slow_mode_holds_per_user_under_concurrency(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice, bob = await register(client), await register(client), await register(client)
    settings = await host.data("PATCH", chat(host, "/settings"), json={"slowModeSeconds": 30})
    assert settings["slowModeSeconds"] == 30
    burst = [say(user, host, f"{user.username} {i}") for i in range(8) for user in (alice, bob)]
    answers = await asyncio.gather(*burst)
    accepted = [r for r in answers if r.status_code == 200]
    assert sorted(r.json()["data"]["message"]["author"]["id"] for r in accepted) == sorted(
        [alice.id, bob.id]
    )
    refused = [r for r in answers if r.status_code != 200]
    assert {r.status_code for r in refused} == {429}
    assert {r.json()["error"]["code"] for r in refused} == {"slow_mode"}
    assert all(1 <= int(r.headers["Retry-After"]) <= 30 for r in refused)
    # The host is not slowed down.
    for i in range(3):
        assert (await say(host, host, f"host {i}")).status_code == 200


async def test_blocked_words_masked_or_held(server: LiveServer, client: httpx.AsyncClient) -> None:
    host, alice, mod = await register(client), await register(client), await register(client)
    await host.data("POST", f"/api/streams/{host.username}/moderators/{mod.id}")
    words = await host.data(
        "PUT", chat(host, "/blocked-words"), json={"words": ["Spam*", "badword", "*scam*"]}
    )
    assert words == {
        "stream": host.username,
        "words": ["spam*", "badword", "*scam*"],
        "action": "mask",
    }
    cases = {
        "SPAMMER here": "******* here",
        "what a bádwörd!": "what a *******!",
        "ѕрам again": "**** again",  # Cyrillic look-alikes
        "ｓｐａｍ wide": "**** wide",  # full-width letters
        "a megascam b": "a ******** b",
        "badwords are fine": "badwords are fine",  # whole words only
        "bad word is fine": "bad word is fine",
    }
    for text, shown in cases.items():
        sent = await alice.data("POST", chat(host), json={"text": text})
        assert sent["message"]["text"] == shown
        assert sent["message"]["masked"] is (shown != text)
        assert sent["held"] is False
    # Held for review: the room sees nothing until a moderator approves it.
    await host.data("PUT", chat(host, "/blocked-words"), json={"words": ["spam"], "action": "hold"})
    async with (
        Listener(server.ws_url, alice.token) as room,
        Listener(server.ws_url, mod.token) as mods,
    ):
        await room.join(stream_room(host.username))
        assert (await mods.join(chat_mod_room(host.username)))["event"] == "joined"
        assert (await room.join(chat_mod_room(host.username)))["event"] == "error"
        sent = await alice.data("POST", chat(host), json={"text": "free SPAM here"})
        assert sent["held"] is True and sent["message"]["text"] == "free SPAM here"
        held = await mods.wait_for("chat:held")
        assert held["data"]["matched"] == ["spam"]
        assert [h["message"]["id"] for h in await mod.data("GET", chat(host, "/held"))] == [
            sent["message"]["id"]
        ]
        page = await alice.data("GET", chat(host))
        assert sent["message"]["id"] not in [m["id"] for m in page["messages"]]
        await mod.data("POST", chat(host, f"/held/{sent['message']['id']}"), json={"approve": True})
        approved = await room.wait_for(
            lambda e: e["event"] == "chat:message" and e["data"]["id"] == sent["message"]["id"]
        )
        assert approved["data"]["text"] == "free SPAM here"


async def test_pin_shows_for_a_late_joiner_and_clear_removes_everything(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice = await register(client), await register(client)
    message = (await alice.data("POST", chat(host), json={"text": "welcome!"}))["message"]
    async with Listener(server.ws_url, alice.token) as ws:
        await ws.join(stream_room(host.username))
        pinned = await host.data("POST", chat(host, "/pin"), json={"messageId": message["id"]})
        assert (await ws.wait_for("chat:pinned"))["data"] == pinned
        late = await guest(client)
        assert (await late.data("GET", chat(host)))["pinned"]["id"] == message["id"]
        cleared = await host.data("POST", chat(host, "/clear"))
        assert (await ws.wait_for("chat:cleared"))["data"] == cleared
    after = await late.data("GET", chat(host))
    assert after["messages"] == [] and after["pinned"] is None


async def test_reports_land_in_the_moderation_queue(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice, bob = await register(client), await register(client), await register(client)
    message = (await alice.data("POST", chat(host), json={"text": "rude words"}))["message"]
    async with Listener(server.ws_url, host.token) as mods:
        await mods.join(chat_mod_room(host.username))
        filed = await bob.data(
            "POST", chat(host, f"/messages/{message['id']}/report"), json={"reason": "rude"}
        )
        report = (await mods.wait_for("chat:report"))["data"]
        assert report["id"] == filed["id"] and report["status"] == "open"
        assert report["reporter"]["id"] == bob.id and report["message"]["text"] == "rude words"
        queue = await host.data("GET", chat(host, "/reports"))
        assert [r["id"] for r in queue] == [filed["id"]]
        resolved = await host.data(
            "POST", chat(host, f"/reports/{filed['id']}"), json={"action": "remove"}
        )
        assert resolved["status"] == "removed" and resolved["resolvedBy"]["id"] == host.id
        await mods.wait_for("chat:action")
    assert await host.data("GET", chat(host, "/reports")) == []
    own = await alice.call("POST", chat(host, f"/messages/{message['id']}/report"), json={})
    assert own.status_code == 404  # removed: nothing left to report


async def test_system_lines_for_battles_gifts_and_arrivals(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, opponent = await register(client), await register(client)
    fan = await register(client, coins=100)
    server.app.state.chat_joins.interval = 0.05
    async with Listener(server.ws_url, fan.token) as ws:
        await ws.join(stream_room(host.username))
        joined = await ws.wait_for(
            lambda e: e["event"] == "chat:message" and e["data"]["system"] == "joined"
        )
        assert joined["data"]["kind"] == "system" and joined["data"]["author"] is None
        battle = await start_battle(host, opponent)
        await fan.data(
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": "rose", "quantity": 5, "toHost": host.id},
        )
        gift = await ws.wait_for(
            lambda e: e["event"] == "chat:message" and e["data"]["system"] == "gift"
        )
    assert gift["data"]["text"].endswith("sent 5× Rose")
    page = await host.data("GET", chat(host))
    kinds = [m["system"] for m in page["messages"]]
    assert kinds[:2] == ["gift", "pk-started"] and "joined" in kinds


async def test_a_gift_storm_adds_up_into_one_line_per_sender_and_gift(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, opponent = await register(client), await register(client)
    fan = await register(client, coins=100)
    battle = await start_battle(host, opponent)
    gift = {"giftId": "rose", "quantity": 2, "toHost": host.id}
    path = f"/api/pk-battles/{battle['id']}/gift"
    await asyncio.gather(*(fan.data("POST", path, json=gift) for _ in range(10)))
    await asyncio.sleep(SystemLines.FLUSH_S * 4)
    page = await host.data("GET", chat(host))
    gifts = [m["text"] for m in page["messages"] if m["system"] == "gift"]
    assert len(gifts) < 10 and sum(int(t.split(" sent ")[1].split("×")[0]) for t in gifts) == 20


async def test_gathered_gift_lines_go_to_each_hosts_chat_in_the_order_sent(
    client: httpx.AsyncClient,
) -> None:
    host, opponent = await register(client), await register(client)
    first, second = await register(client, coins=100), await register(client, coins=100)
    battle = await start_battle(host, opponent)
    path = f"/api/pk-battles/{battle['id']}/gift"
    for fan, gift_id, to in [
        (first, "rose", host),
        (second, "heart", opponent),
        (second, "star", host),
    ]:
        await fan.data("POST", path, json={"giftId": gift_id, "toHost": to.id})
    await asyncio.sleep(SystemLines.FLUSH_S * 4)

    async def gift_lines(of: ApiUser) -> list[str]:
        page = await of.data("GET", chat(of))
        return [m["text"] for m in reversed(page["messages"]) if m["system"] == "gift"]

    assert await gift_lines(host) == [
        f"{first.username} sent 1× Rose",
        f"{second.username} sent 1× Star",
    ]
    assert await gift_lines(opponent) == [f"{second.username} sent 1× Heart"]


async def test_members_only_means_the_streamers_followers(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice, mod = await register(client), await register(client), await register(client)
    await host.data("POST", f"/api/streams/{host.username}/moderators/{mod.id}")
    async with Listener(server.ws_url, alice.token) as ws:
        await ws.join(stream_room(host.username))
        rules = await mod.data("PATCH", chat(host, "/settings"), json={"membersOnly": True})
        assert (await ws.wait_for("chat:settings"))["data"] == rules
    assert rules["membersOnly"] is True and rules["minAccountAgeMinutes"] == 0
    stranger = await say(alice, host, "first!")
    assert stranger.status_code == 403 and stranger.json()["error"]["code"] == "members_only"
    assert stranger.json()["error"]["message"] == (
        f"Only followers of {host.username} can chat here. Follow {host.username} to join in."
    )
    state = (await alice.data("GET", chat(host)))["viewer"]
    assert state["canWrite"] is False and state["reason"] == stranger.json()["error"]["message"]
    # The host and moderators write without following.
    assert (await say(mod, host, "moderators may")).status_code == 200
    assert (await say(host, host, "and the host")).status_code == 200
    # Following counts from the next message on; unfollowing too.
    await alice.data("POST", f"/api/users/{host.id}/follow")
    assert (await alice.data("GET", chat(host)))["viewer"]["canWrite"] is True
    assert (await say(alice, host, "now I may")).status_code == 200
    await alice.data("DELETE", f"/api/users/{host.id}/follow")
    assert (await say(alice, host, "and now?")).json()["error"]["code"] == "members_only"
    # Following someone else's stream does not count here.
    await alice.data("POST", f"/api/users/{mod.id}/follow")
    assert (await say(alice, host, "still no")).status_code == 403
    public = await (await guest(client)).data("GET", chat(host, "/settings"))
    assert public == rules
    refused = await alice.call("PATCH", chat(host, "/settings"), json={"slowModeSeconds": 5})
    assert refused.status_code == 403
    bad = await host.call("PATCH", chat(host, "/settings"), json={"slowModeSeconds": 601})
    assert bad.status_code == 422


async def test_members_only_can_also_ask_for_an_account_age(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice = await register(client), await register(client)
    await alice.data("POST", f"/api/users/{host.id}/follow")
    await host.data(
        "PATCH", chat(host, "/settings"), json={"membersOnly": True, "minAccountAgeMinutes": 10}
    )
    young = await say(alice, host, "first!")
    assert young.status_code == 403 and young.json()["error"]["code"] == "members_only"
    assert "at least 10 minutes old" in young.json()["error"]["message"]
    db_of(server).execute(
        "UPDATE users SET createdAt = ? WHERE id = ?",
        (iso(utc_now() - timedelta(minutes=11)), alice.id),
    )
    assert (await say(alice, host, "now I may")).status_code == 200


async def test_retention_forgets_old_messages_and_caps_a_stream(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host, alice = await register(client), await register(client)
    for i in range(8):
        await host.data("POST", chat(host), json={"text": f"line {i}"})
    first = (await alice.data("GET", chat(host, "?limit=100")))["messages"][-1]
    deleted = (await alice.data("POST", chat(host), json={"text": "gone"}))["message"]
    await alice.data("DELETE", chat(host, f"/messages/{deleted['id']}"))
    db = db_of(server)
    # A tombstone stays (for the log) but is never served.
    assert db.scalar("SELECT status FROM chat_messages WHERE id = ?", (deleted["id"],)) == (
        "deleted"
    )
    old = iso(utc_now() - timedelta(days=8))
    db.execute("UPDATE chat_messages SET createdAt = ? WHERE id = ?", (old, first["id"]))
    services = services_of(server.app)
    # The hourly pass (the first ran at start): its time has come.
    db.execute("UPDATE deadlines SET dueAt = ? WHERE kind = 'chat:retention'", (iso(utc_now()),))
    services.scheduler.run_due()
    assert db.scalar("SELECT COUNT(*) FROM chat_messages WHERE id = ?", (first["id"],)) == 0
    due = db.scalar("SELECT dueAt FROM deadlines WHERE kind = 'chat:retention'")
    assert timedelta(minutes=59) < parse_iso(due) - utc_now() <= timedelta(hours=1)
    messages = services.chat.messages
    messages.limits = replace(messages.limits, retention_max_per_stream=3)
    assert messages.prune(host.username) == 5  # of 7 lines and the tombstone, the newest 3 stay
    page = await alice.data("GET", chat(host, "?limit=100"))
    assert [m["text"] for m in page["messages"]] == ["line 7", "line 6"]


async def test_unpin_dismiss_and_reject_held(server: LiveServer, client: httpx.AsyncClient) -> None:
    host, alice, mod = await register(client), await register(client), await register(client)
    await host.data("POST", f"/api/streams/{host.username}/moderators/{mod.id}")
    message = (await alice.data("POST", chat(host), json={"text": "pin me"}))["message"]
    async with (
        Listener(server.ws_url, alice.token) as room,
        Listener(server.ws_url, mod.token) as mods,
    ):
        await room.join(stream_room(host.username))
        assert (await mods.join(chat_mod_room(host.username)))["event"] == "joined"
        await mod.data("POST", chat(host, "/pin"), json={"messageId": message["id"]})
        await mod.data("DELETE", chat(host, "/pin"))
        unpinned = await room.wait_for("chat:unpinned")
        assert unpinned["data"]["messageId"] == message["id"]
        nothing = await mod.call("DELETE", chat(host, "/pin"))
        assert nothing.status_code == 409
        # A dismissed moderator loses their powers and leaves the moderation room.
        await host.data("DELETE", f"/api/streams/{host.username}/moderators/{mod.id}")
        await room.wait_for(
            lambda e: e["event"] == "chat:moderators" and e["data"]["moderators"] == []
        )
        assert (await mod.call("POST", chat(host, "/clear"))).status_code == 403
        await host.data(
            "PUT", chat(host, "/blocked-words"), json={"words": ["no"], "action": "hold"}
        )
        held = (await alice.data("POST", chat(host), json={"text": "no way"}))["message"]
        await host.data("POST", chat(host, f"/held/{held['id']}"), json={"approve": False})
        await asyncio.sleep(0.2)  # anything the room or the old moderator would get is here
        assert not [e for e in mods.events if e["event"] in ("chat:held", "chat:held-decided")]
    assert held["id"] not in [m["id"] for m in (await alice.data("GET", chat(host)))["messages"]]
    again = await host.call("POST", chat(host, f"/held/{held['id']}"), json={"approve": True})
    assert again.status_code == 404
    log = [e["action"] for e in await host.data("GET", chat(host, "/actions"))]
    assert log[:4] == ["held-rejected", "blocked-words", "moderator-removed", "unpin"]


async def test_system_lines_for_shopping(server: LiveServer, client: httpx.AsyncClient) -> None:
    seller = await register(client)
    buyer = await register(client, coins=100)
    cap = await product(seller, price=20, name="Cap")
    base = f"/api/live-shopping/{(await live_session(seller, cap))['id']}"
    async with Listener(server.ws_url, buyer.token) as ws:
        await ws.join(stream_room(seller.username))
        await seller.data("POST", f"{base}/products/pin", json={"productId": cap["id"]})
        await buyer.data("POST", f"{base}/orders", json={"productId": cap["id"]})
        order = await ws.wait_for(
            lambda e: e["event"] == "chat:message" and e["data"]["system"] == "order"
        )
    pinned = [m for m in ws.named("chat:message") if m["system"] == "product-pinned"]
    assert [m["text"] for m in pinned] == ["Pinned: Cap"]
    assert order["data"]["text"] == f"{buyer.username} ordered 1× Cap"

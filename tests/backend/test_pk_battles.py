"""PK battles end to end: a real server, a real SQLite file, real WebSocket clients."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from backend.api.lean import LeanDispatch, lean_routes
from backend.app import ROUTERS, create_app
from backend.services.pk import END_DEADLINE
from backend.settings import Settings
from backend.storage.db import iso, utc_now
from backend.storage.engines import open_database
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import LiveServer, running_server
from tests.wire.openapi import documented_answers

STAGGER = timedelta(milliseconds=15)


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


async def start_battle(host: ApiUser, opponent: ApiUser, duration: int = 5) -> dict:
    battle = await host.data(
        "POST", "/api/pk-battles", json={"opponent": opponent.id, "duration": duration}
    )
    return await opponent.data("POST", f"/api/pk-battles/{battle['id']}/accept")


async def coins_and_xp(user: ApiUser) -> tuple[int, int]:
    wallet = await user.data("GET", "/api/wallet")
    return wallet["coins"], wallet["xp"]


async def test_battle_lifecycle_with_events_for_hosts_and_viewer(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host1, host2 = await register(client), await register(client)
    viewer = await register(client, coins=1000)
    async with (
        Listener(server.ws_url, host1.token) as ws1,
        Listener(server.ws_url, host2.token) as ws2,
        Listener(server.ws_url, viewer.token) as wsv,
    ):
        battle = await host1.data(
            "POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 3}
        )
        assert battle["status"] == "pending"
        created = await ws2.wait_for("pk-battle:created")
        assert created["data"]["battle"]["id"] == battle["id"]
        # A pending invitation is private: the viewer can neither see nor join it.
        hidden = await viewer.call("GET", f"/api/pk-battles/{battle['id']}")
        assert hidden.status_code == 404
        assert (await wsv.join(f"pk-battle:{battle['id']}"))["event"] == "error"

        started = await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
        assert started["status"] == "active" and started["endsAt"]
        await ws1.wait_for("pk-battle:started")
        assert (await wsv.join(f"pk-battle:{battle['id']}"))["event"] == "joined"
        await ws1.join(f"pk-battle:{battle['id']}")

        star = await viewer.data(
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": "star", "quantity": 3, "toHost": host2.id},
        )
        assert star["scores"]["host2"] == 30 and star["balance"]["coins"] == 970
        event = await ws1.wait_for("pk-battle:gift")
        assert event["data"]["scores"] == star["scores"]
        # A host in both the battle room and their user room gets the event once.
        await asyncio.sleep(0.2)
        assert len(ws1.named("pk-battle:gift")) == 1
        await wsv.wait_for("pk-battle:gift")

        detail = await viewer.data("GET", f"/api/pk-battles/{battle['id']}")
        assert detail["topSupporters"]["host2"][0]["id"] == viewer.id
        assert detail["viewerCount"] == 1

        server.app.state.services.pk.end_battle(battle["id"])
        ended = await wsv.wait_for("pk-battle:ended")
        assert ended["data"]["winner"] == host2.id
        assert ended["data"]["rewards"][host2.id]["coins"] == 50 + 3
        await ws1.wait_for("pk-battle:ended")

    wallet2 = await host2.data("GET", "/api/wallet")
    assert wallet2["coins"] == 30 + 53 and wallet2["xp"] == 100
    late = await viewer.call(
        "POST",
        f"/api/pk-battles/{battle['id']}/gift",
        json={"giftId": "rose", "quantity": 1, "toHost": host1.id},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "battle_over"
    history = await host2.data("GET", f"/api/pk-battles/user/{host2.id}")
    assert history["stats"]["wins"] == 1
    board = await viewer.data("GET", "/api/pk-battles/leaderboard/rankings?period=daily")
    assert board["entries"][0]["user"]["id"] == host2.id


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"duration": 0}, 400, "invalid_duration"),
        ({"duration": 11}, 400, "invalid_duration"),
        ({"duration": 5, "opponent": "SELF"}, 400, "self_battle"),
        ({"duration": 5, "opponent": "nobody"}, 404, "opponent_not_found"),
        ({"duration": 5, "host1Score": 999}, 422, "validation_error"),
        ({"duration": "five"}, 422, "validation_error"),
    ],
)
async def test_create_validation(
    client: httpx.AsyncClient, body: dict, status: int, code: str
) -> None:
    host, opponent = await register(client), await register(client)
    payload = {"opponent": opponent.id, **body}
    if payload["opponent"] == "SELF":
        payload["opponent"] = host.id
    response = await host.call("POST", "/api/pk-battles", json=payload)
    assert response.status_code == status, response.text
    assert response.json() == {"success": False, "error": response.json()["error"]}
    assert response.json()["error"]["code"] == code


async def test_permissions_and_state_rules(client: httpx.AsyncClient) -> None:
    host1, host2, other = await register(client), await register(client), await register(client)
    battle = await host1.data("POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 2})
    assert (await host1.call("POST", f"/api/pk-battles/{battle['id']}/accept")).status_code == 403
    assert (await other.call("DELETE", f"/api/pk-battles/{battle['id']}")).status_code == 404
    busy = await host1.call("POST", "/api/pk-battles", json={"opponent": other.id, "duration": 2})
    assert busy.status_code == 409
    gift_early = await other.call(
        "POST",
        f"/api/pk-battles/{battle['id']}/gift",
        json={"giftId": "rose", "toHost": host1.id},
    )
    assert gift_early.status_code == 404
    await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
    again = await host2.call("POST", f"/api/pk-battles/{battle['id']}/accept")
    assert again.status_code == 409
    assert (await other.call("DELETE", f"/api/pk-battles/{battle['id']}")).status_code == 403
    broke = await other.call(
        "POST",
        f"/api/pk-battles/{battle['id']}/gift",
        json={"giftId": "diamond", "toHost": host1.id},
    )
    assert broke.status_code == 409 and broke.json()["error"]["code"] == "insufficient_funds"
    bad_host = await other.call(
        "POST", f"/api/pk-battles/{battle['id']}/gift", json={"giftId": "rose", "toHost": "x"}
    )
    assert bad_host.status_code == 400
    unknown_gift = await other.call(
        "POST",
        f"/api/pk-battles/{battle['id']}/gift",
        json={"giftId": "unicorn", "toHost": host1.id},
    )
    assert unknown_gift.status_code == 404
    ended = await host1.data("DELETE", f"/api/pk-battles/{battle['id']}")
    assert ended["status"] == "ended" and ended["winner"] == host2.id
    active = await other.data("GET", "/api/pk-battles/active/list")
    assert battle["id"] not in [b["id"] for b in active]
    no_auth = await client.get(f"/api/pk-battles/{battle['id']}")
    assert no_auth.status_code == 401
    stranger = await client.post(f"/api/pk-battles/{battle['id']}/gift", json={"quantity": "x"})
    assert stranger.status_code == 401  # who asks is checked before the body


async def test_a_pending_challenge_is_cancelled_or_declined_and_nobody_is_paid(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host1, host2 = await register(client), await register(client)
    async with Listener(server.ws_url, host2.token) as ws2:
        mine = await host1.data(
            "POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 2}
        )
        cancelled = await host1.data("DELETE", f"/api/pk-battles/{mine['id']}")
        assert (cancelled["status"], cancelled["endReason"]) == ("cancelled", "cancelled")
        event = await ws2.wait_for("pk-battle:cancelled")
        assert event["data"]["by"] == host1.id and event["data"]["reason"] == "cancelled"

        theirs = await host1.data(
            "POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 2}
        )
        declined = await host2.data("DELETE", f"/api/pk-battles/{theirs['id']}")
        assert (declined["status"], declined["endReason"]) == ("cancelled", "declined")
        assert declined["winner"] is None and declined["rewards"] is None
    again = await host1.call("DELETE", f"/api/pk-battles/{theirs['id']}")
    assert again.status_code == 409 and again.json()["error"]["code"] == "battle_over"
    assert "already cancelled" in again.json()["error"]["message"]
    for host in (host1, host2):
        assert await coins_and_xp(host) == (0, 0)
    assert (await host1.data("GET", f"/api/pk-battles/user/{host1.id}"))["stats"]["battles"] == 0


async def test_a_host_who_ends_a_running_battle_forfeits_and_the_opponent_is_paid(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    host1, host2 = await register(client), await register(client)
    viewer = await register(client, coins=100)
    battle = await start_battle(host1, host2)
    path = f"/api/pk-battles/{battle['id']}"
    async with (
        Listener(server.ws_url, host1.token) as ws1,
        Listener(server.ws_url, host2.token) as ws2,
        Listener(server.ws_url, viewer.token) as wsv,
    ):
        await wsv.join(f"pk-battle:{battle['id']}")
        for to_host, quantity in ((host1.id, 3), (host2.id, 1)):
            await viewer.data(
                "POST",
                f"{path}/gift",
                json={"giftId": "star", "quantity": quantity, "toHost": to_host},
            )
        # host1 leads 30 to 10 and ends the battle: host2 wins it.
        ended = await host1.data("DELETE", path)
        event = (await wsv.wait_for("pk-battle:ended"))["data"]
        for host_ws in (ws1, ws2):
            await host_ws.wait_for("pk-battle:ended")
        await asyncio.sleep(0.2)
        assert len(ws1.named("pk-battle:ended")) == 1 and not ws1.named("pk-battle:cancelled")

    assert (event["winner"], event["isDraw"]) == (host2.id, False)
    assert (event["reason"], event["forfeitedBy"]) == ("forfeit", host1.id)
    assert event["scores"] == {"host1": 30, "host2": 10}  # gifts already sent stay counted
    assert event["rewards"] == {
        host2.id: {"coins": 50 + 4, "xp": 100},
        host1.id: {"coins": 0, "xp": 40},
    }
    assert event["battle"] == {**ended, "serverTime": event["battle"]["serverTime"]}
    assert (ended["status"], ended["endReason"], ended["forfeitedBy"]) == (
        "ended",
        "forfeit",
        host1.id,
    )
    assert await coins_and_xp(host1) == (30, 40)
    assert await coins_and_xp(host2) == (10 + 54, 100)
    detail = await viewer.data("GET", path)
    assert (detail["winner"], detail["forfeitedBy"]) == (host2.id, host1.id)
    assert (await host1.data("GET", f"/api/pk-battles/user/{host1.id}"))["stats"]["losses"] == 1
    assert (await host2.data("GET", f"/api/pk-battles/user/{host2.id}"))["stats"]["wins"] == 1
    # The battle's end deadline is gone, so the scheduler cannot end (and pay) it again.
    deadlines = server.app.state.services.db.scalar(
        "SELECT COUNT(*) FROM deadlines WHERE refId = ?", (battle["id"],)
    )
    assert deadlines == 0
    late = await viewer.call(
        "POST", f"{path}/gift", json={"giftId": "rose", "quantity": 1, "toHost": host2.id}
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "battle_over"


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("host1", 409, "battle_over"),  # ending it twice
        ("host2", 409, "battle_over"),  # the opponent ending a finished battle
        ("other", 403, "not_participant"),
    ],
)
async def test_ending_a_finished_battle_or_someone_elses_is_refused(
    client: httpx.AsyncClient, who: str, status: int, code: str
) -> None:
    host1, host2, other = await register(client), await register(client), await register(client)
    battle = await start_battle(host1, host2)
    if who != "other":
        await host1.data("DELETE", f"/api/pk-battles/{battle['id']}")
    caller = {"host1": host1, "host2": host2, "other": other}[who]
    response = await caller.call("DELETE", f"/api/pk-battles/{battle['id']}")
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    missing = await host1.call("DELETE", "/api/pk-battles/no-such-battle")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "battle_not_found"
    assert (await host2.data("GET", "/api/wallet"))["coins"] == (0 if who == "other" else 50)


async def test_whichever_end_comes_second_changes_nothing(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    services = server.app.state.services
    host1, host2 = await register(client), await register(client)
    forfeited = await start_battle(host1, host2)
    await host1.data("DELETE", f"/api/pk-battles/{forfeited['id']}")
    services.pk.end_battle(forfeited["id"])  # the deadline handler, had it already been picked
    timed_out = await start_battle(host2, host1)
    services.pk.end_battle(timed_out["id"])
    late = await host1.call("DELETE", f"/api/pk-battles/{timed_out['id']}")
    assert late.status_code == 409 and late.json()["error"]["code"] == "battle_over"
    # One forfeit (host2 wins 50 coins, host1 40 XP), then a 0–0 draw (25 coins, 70 XP each).
    assert await coins_and_xp(host1) == (25, 40 + 70)
    assert await coins_and_xp(host2) == (50 + 25, 100 + 70)
    detail = await host1.data("GET", f"/api/pk-battles/{timed_out['id']}")
    assert (detail["endReason"], detail["isDraw"], detail["forfeitedBy"]) == ("time", True, None)


async def test_a_forfeit_racing_the_natural_end_pays_once(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    """Both hosts end their battle around its deadline (run by the scheduler and, for every
    other battle, on another thread too): whatever the order, it ends once and pays once."""
    services = server.app.state.services
    pairs = [(await register(client), await register(client)) for _ in range(8)]
    viewer = await register(client, coins=1000)
    battles = [await start_battle(host1, host2) for host1, host2 in pairs]
    for battle, (host1, _) in zip(battles, pairs, strict=True):
        await viewer.data(
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": "star", "quantity": 2, "toHost": host1.id},
        )

    async def race(i: int, battle: dict, host1: ApiUser, host2: ApiUser) -> list[int]:
        # Deadlines and forfeits staggered in opposite orders, so both sides win some races.
        path = f"/api/pk-battles/{battle['id']}"
        services.scheduler.schedule(END_DEADLINE, battle["id"], utc_now() + STAGGER * i)
        await asyncio.sleep((STAGGER * (len(battles) - 1 - i)).total_seconds())
        ends = [host1.call("DELETE", path), host2.call("DELETE", path)]
        if i % 2:  # and the deadline handler, run at the same moment from another thread
            ends.append(asyncio.to_thread(services.pk.end_battle, battle["id"]))
        responses = await asyncio.gather(*ends)
        return [r.status_code for r in responses if isinstance(r, httpx.Response)]

    outcomes = await asyncio.gather(
        *(race(i, b, h1, h2) for i, (b, (h1, h2)) in enumerate(zip(battles, pairs, strict=True)))
    )
    for battle, (host1, host2), statuses in zip(battles, pairs, outcomes, strict=True):
        assert sorted(statuses) in ([200, 409], [409, 409]), statuses
        detail = await host1.data("GET", f"/api/pk-battles/{battle['id']}")
        assert detail["status"] == "ended"
        paid = services.db.all(
            "SELECT userId, coins, xp FROM ledger WHERE kind = 'pk:reward' AND refId = ?",
            (battle["id"],),
        )
        assert len(paid) == 2, paid  # one row per host: the battle was paid once
        winner = detail["winner"]
        if 200 in statuses:  # a host forfeited first
            assert detail["endReason"] == "forfeit" and winner != detail["forfeitedBy"]
        else:  # the deadline came first: host1's 20 coins won it
            assert detail["endReason"] == "time" and winner == host1.id
        assert {p["userId"]: p["coins"] for p in paid}[winner] == 50 + 2
        for host in (host1, host2):
            assert services.wallet.balance(host.id) == services.wallet.ledger_balance(host.id)


async def test_the_gift_hot_path_answers_like_every_other_endpoint(
    client: httpx.AsyncClient,
) -> None:
    """The gift endpoint is a LeanRoute (its own request handler); its errors keep the API's
    envelopes, and who asks is settled before the body is read."""
    host1, host2 = await register(client), await register(client)
    viewer = await register(client, coins=100)
    battle = await start_battle(host1, host2)
    path = f"/api/pk-battles/{battle['id']}/gift"
    body = {"giftId": "rose", "toHost": host1.id}

    def error(response: httpx.Response) -> tuple[int, str]:
        assert response.json()["success"] is False, response.text
        return response.status_code, response.json()["error"]["code"]

    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    as_guest = await client.post(path, json=body, headers={"Authorization": f"Bearer {guest}"})
    assert error(as_guest) == (403, "account_required")
    assert error(await client.post(path, json=body)) == (401, "unauthorized")
    extra = await viewer.call("POST", path, json={**body, "score": 5})
    assert error(extra) == (422, "validation_error") and "score" in extra.text
    as_form = await viewer.call("POST", path, data={"giftId": "rose", "toHost": host1.id})
    assert error(as_form) == (422, "validation_error")
    long_key = await viewer.call("POST", path, json=body, headers={"Idempotency-Key": "k" * 200})
    assert error(long_key) == (400, "invalid_input")
    assert error(await viewer.call("GET", path)) == (405, "method_not_allowed")
    sent = await viewer.data("POST", path, json=body)
    assert sent["scores"]["host1"] == 1 and sent["balance"]["coins"] == 99
    assert sent["replayed"] is False


async def test_gift_storm_totals_are_exact(server: LiveServer, client: httpx.AsyncClient) -> None:
    host1, host2 = await register(client), await register(client)
    battle = await start_battle(host1, host2)
    viewers = await asyncio.gather(*(register(client, coins=15) for _ in range(50)))
    hosts = [host1.id, host2.id]

    async def send(i: int) -> tuple[int, int]:
        viewer = viewers[i % 50]
        to_host = hosts[i % 2]
        response = await viewer.call(
            "POST",
            f"/api/pk-battles/{battle['id']}/gift",
            json={"giftId": "heart", "quantity": 1, "toHost": to_host},
        )
        return response.status_code, (5 if response.status_code == 200 else 0) * (1 + i % 2)

    results = await asyncio.gather(*(send(i) for i in range(200)))
    statuses = [status for status, _ in results]
    # Each viewer sends four 5-coin hearts with 15 coins: three go through, one is refused.
    assert statuses.count(200) == 50 * 3
    assert set(statuses) <= {200, 409}
    detail = await host1.data("GET", f"/api/pk-battles/{battle['id']}")
    accepted = [i for i, (status, _) in enumerate(results) if status == 200]
    assert detail["scores"]["host1"] == 5 * sum(1 for i in accepted if i % 2 == 0)
    assert detail["scores"]["host2"] == 5 * sum(1 for i in accepted if i % 2 == 1)
    assert detail["giftCount"] == len(accepted)
    for viewer in viewers:
        assert (await viewer.data("GET", "/api/wallet"))["coins"] == 0
    wallet = server.app.state.services.wallet
    for user in [host1, host2, *viewers]:
        assert wallet.balance(user.id) == wallet.ledger_balance(user.id)


async def test_a_gift_is_a_wallet_transfer_with_gift_ledger_kinds(
    client: httpx.AsyncClient,
) -> None:
    host1, host2 = await register(client), await register(client)
    fan = await register(client, coins=100)
    battle = await start_battle(host1, host2)
    body = {"giftId": "star", "quantity": 2, "toHost": host2.id}
    await fan.data("POST", f"/api/pk-battles/{battle['id']}/gift", json=body)
    sent = (await fan.data("GET", "/api/wallet"))["history"][0]
    received = (await host2.data("GET", "/api/wallet"))["history"][0]
    assert (sent["kind"], sent["coins"], sent["refId"]) == ("gift:sent", -20, battle["id"])
    assert (received["kind"], received["coins"], received["refId"]) == (
        "gift:received",
        20,
        battle["id"],
    )


async def test_top_supporters_rank_by_coins_then_who_got_there_first(
    client: httpx.AsyncClient,
) -> None:
    host1, host2 = await register(client), await register(client)
    battle = await start_battle(host1, host2)
    fans = [await register(client, coins=100) for _ in range(4)]
    path = f"/api/pk-battles/{battle['id']}/gift"

    async def gift(fan: ApiUser, gift_id: str, to_host: str = host1.id) -> dict:
        answer = await fan.data("POST", path, json={"giftId": gift_id, "toHost": to_host})
        await asyncio.sleep(STAGGER.total_seconds())  # stamps a millisecond apart at least
        return answer

    first, second, big, late = fans
    for fan, gift_id in [(first, "rose"), (second, "rose"), (big, "heart"), (late, "rose")]:
        await gift(fan, gift_id)
    answer = await gift(second, "rose")  # 2 coins: ahead of the tie at 1
    assert [(s["id"], s["coins"]) for s in answer["topSupporters"]["host1"]] == [
        (big.id, 5),
        (second.id, 2),
        (first.id, 1),  # tied with the late fan at 1, and there first
    ]
    await gift(first, "rose", to_host=host2.id)
    detail = await host1.data("GET", f"/api/pk-battles/{battle['id']}")
    assert detail["topSupporters"]["host1"] == answer["topSupporters"]["host1"]
    assert [s["id"] for s in detail["topSupporters"]["host2"]] == [first.id]
    # Every gifter counts as one viewer, however many gifts and to whichever host.
    assert detail["viewerCount"] == 4


@pytest.mark.one_engine  # the schema is the same whatever stores the data
async def test_openapi_documents_every_pk_answer(server: LiveServer) -> None:
    """Each PK route declares its answer's model, so OpenAPI (and schemathesis) know it."""
    documented = documented_answers(server.app.openapi(), "/api/pk-battles")
    assert documented == {
        ("post", "/api/pk-battles"): "Ok_Battle_",
        ("get", "/api/pk-battles/active/list"): "Ok_list_Battle__",
        ("get", "/api/pk-battles/leaderboard/rankings"): "Ok_Leaderboard_",
        ("get", "/api/pk-battles/user/{user_id}"): "Ok_UserBattles_",
        ("get", "/api/pk-battles/{battle_id}"): "Ok_BattleDetail_",
        ("delete", "/api/pk-battles/{battle_id}"): "Ok_Battle_",
        ("post", "/api/pk-battles/{battle_id}/accept"): "Ok_Battle_",
        ("post", "/api/pk-battles/{battle_id}/gift"): "Ok_GiftReceipt_",
    }


async def test_a_gift_is_answered_by_its_lean_route_past_the_rest_of_the_stack(
    settings: Settings,
) -> None:
    """LeanDispatch answers a request one of the routers' lean routes matches fully (a gift,
    and its refusals with the API's envelopes); anything else goes on down the stack."""
    app = create_app(settings)
    passed_on: list[str] = []

    async def rest_of_the_stack(scope: Scope, receive: Receive, send: Send) -> None:
        passed_on.append(f"{scope['method']} {scope['path']}")
        await app(scope, receive, send)

    dispatch = LeanDispatch(rest_of_the_stack, lean_routes(ROUTERS))

    async def dispatched(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app
        await dispatch(scope, receive, send)

    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as setup,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=dispatched), base_url="http://t"
        ) as lean,
    ):
        host1, host2 = await register(setup), await register(setup)
        viewer = await register(setup, coins=10)
        battle = await start_battle(host1, host2)
        path = f"/api/pk-battles/{battle['id']}/gift"
        body = {"giftId": "rose", "toHost": host1.id}
        sent = await lean.post(path, json=body, headers=viewer.headers)
        assert sent.status_code == 200 and sent.json()["data"]["balance"]["coins"] == 9
        refused = await lean.post(path, json={**body, "score": 5}, headers=viewer.headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "validation_error")
        stranger = await lean.post(path, json=body)
        assert (stranger.status_code, stranger.json()["error"]["code"]) == (401, "unauthorized")
        assert passed_on == []
        assert (await lean.get(path, headers=viewer.headers)).status_code == 405
        assert passed_on == [f"GET {path}"]


async def test_idempotency_key_charges_once(client: httpx.AsyncClient) -> None:
    host1, host2 = await register(client), await register(client)
    viewer = await register(client, coins=100)
    battle = await start_battle(host1, host2)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    body = {"giftId": "star", "quantity": 1, "toHost": host1.id}
    responses = await asyncio.gather(
        *(
            viewer.call("POST", f"/api/pk-battles/{battle['id']}/gift", json=body, headers=key)
            for _ in range(5)
        )
    )
    assert all(r.status_code == 200 for r in responses)
    assert sum(not r.json()["data"]["replayed"] for r in responses) == 1
    assert (await viewer.data("GET", "/api/wallet"))["coins"] == 90
    detail = await host1.data("GET", f"/api/pk-battles/{battle['id']}")
    assert detail["scores"]["host1"] == 10


async def test_deadline_passing_while_stopped_ends_battle_on_restart(settings) -> None:  # type: ignore[no-untyped-def]
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            host1, host2 = await register(http), await register(http)
            viewer = await register(http, coins=100)
            battle = await start_battle(host1, host2, duration=1)
            await viewer.data(
                "POST",
                f"/api/pk-battles/{battle['id']}/gift",
                json={"giftId": "star", "quantity": 2, "toHost": host1.id},
            )
    # While the server is down the deadline passes.
    db = open_database(settings.db_path, settings.database_url)
    past = iso(utc_now())
    db.execute("UPDATE deadlines SET dueAt = ? WHERE refId = ?", (past, battle["id"]))
    db.execute("UPDATE pk_battles SET endsAt = ? WHERE id = ?", (past, battle["id"]))
    db.close()
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            host1.client = http
            for _ in range(100):
                detail = await host1.data("GET", f"/api/pk-battles/{battle['id']}")
                if detail["status"] == "ended":
                    break
                await asyncio.sleep(0.05)
            assert detail["status"] == "ended"
            assert detail["winner"] == host1.id
            assert (await host1.data("GET", "/api/wallet"))["coins"] == 20 + 50 + 2

"""Co-host view state from server payloads: layouts, the events of a session (no Qt)."""

from __future__ import annotations

import pytest

from studio.core.events import ServerEvent
from studio.core.state import CohostState, Tile, layout_key, layout_tiles
from tests.studio.cohost_wire import card, event, host, invitation, layout, session
from wire.events import MultiHost
from wire.multihost import (
    HostBox,
    HostJoined,
    HostLeft,
    InvitationExpired,
    InvitationKind,
    Invited,
    JoinRequested,
    LayoutChanged,
    LeaveReason,
    RequestDeclined,
    SessionEnded,
    SettingsChanged,
)


def test_grid_tiles_fill_rows_in_order_and_centre_the_used_rows() -> None:
    two = layout_tiles(layout("grid", ["a", "b"], grid="2x2"))
    assert two == [Tile("a", 0, 0.25, 0.5, 0.5), Tile("b", 0.5, 0.25, 0.5, 0.5)]
    nine = layout_tiles(layout("grid", list("abcdefghi"), grid="3x3"))
    assert [(round(t.x, 3), round(t.y, 3)) for t in nine[3:5]] == [(0, 0.333), (0.333, 0.333)]
    assert all(t.width == pytest.approx(1 / 3) for t in nine)


def test_spotlight_sidebar_and_pip_put_the_main_host_first() -> None:
    spot = layout_tiles(layout("spotlight", ["b", "a", "c"], main="b"))
    assert spot[0] == Tile("b", 0.125, 0, 0.75, 0.75)  # a whole 16:9 picture, centred
    assert [t.y for t in spot[1:]] == [0.75, 0.75] and spot[1].width == 0.25
    side = layout_tiles(layout("sidebar", ["a", "b"], main="a"))
    assert side[0] == Tile("a", 0, 0.125, 0.75, 0.75) and side[1].x == 0.75
    box = HostBox(user_id="b", x=0.7, y=0.1, width=0.2, height=0.2)
    pip = layout_tiles(layout("pip", ["a", "b"], main="a", overlays=[box]))
    assert pip == [Tile("a", 0, 0, 1, 1), Tile("b", 0.7, 0.1, 0.2, 0.2)]
    assert layout_tiles(layout("spotlight", ["a"], main="a")) == [Tile("a", 0, 0, 1, 1)]


def test_the_layout_picker_names_grids_by_size() -> None:
    assert layout_key(layout("grid", ["a"], grid="3x3")) == "grid-3x3"
    assert layout_key(layout("grid", ["a"])) == "grid-2x2"
    assert layout_key(layout("pip", ["a"], main="a")) == "pip"


def _left(user: str, reason: LeaveReason = "removed") -> ServerEvent:
    gone = HostLeft(
        session_id="s1", user_id=user, reason=reason, by="me", host_count=1, topology="mesh"
    )
    return event(MultiHost.LEFT, gone)


def test_cohost_events_from_invitation_to_removal() -> None:
    primary = CohostState("me")
    primary.load(session([host("me", "primary", True)]))
    assert primary.can_manage and primary.is_primary
    guest = CohostState("them")
    summary = session([host("me", "primary", True)])
    invited = event(
        MultiHost.INVITED,
        Invited(session_id="s1", invitation=invitation("them"), session=summary),
    )
    assert guest.apply(invited) and guest.incoming["s1"].session.primary_host.label == "Me"
    assert primary.apply(invited) and primary.session is not None
    assert [i.user.id for i in primary.pending.invitations] == ["them"]

    joined = HostJoined(session_id="s1", host=host("them"), host_count=2, topology="mesh")
    assert primary.apply(event(MultiHost.JOINED, joined))
    assert [h.user_id for h in primary.session.hosts] == ["me", "them"]
    assert primary.pending.invitations == []
    sidebar = layout("sidebar", ["them", "me"], main="them", version=2)
    changed = LayoutChanged(session_id="s1", layout=sidebar, topology="mesh")
    primary.apply(event(MultiHost.LAYOUT_CHANGED, changed))
    assert [t.user_id for t in primary.tiles()] == ["them", "me"]
    muted = host("them").model_copy(update={"audio_enabled": False})
    settings = SettingsChanged(session_id="s1", user_id="them", by="me", host=muted)
    primary.apply(event(MultiHost.SETTINGS, settings))
    assert primary.session.host("them") is not None
    assert not primary.session.host("them").audio_enabled  # type: ignore[union-attr]

    asked = JoinRequested(session_id="s1", request=invitation("fan", "request"))
    assert primary.apply(event(MultiHost.JOIN_REQUESTED, asked))
    assert [r.user.id for r in primary.pending.requests] == ["fan"]
    elsewhere = joined.model_copy(update={"session_id": "other"})
    assert not primary.apply(event(MultiHost.JOINED, elsewhere))

    guest.load(session([host("me", "primary", True), host("them")], manager_view=False))
    assert guest.incoming == {} and not guest.can_manage
    assert guest.apply(_left("them"))
    assert guest.session is None and "removed" in guest.notice
    assert primary.apply(_left("them"))
    assert [h.user_id for h in primary.session.hosts] == ["me"]
    ended = SessionEnded(session_id="s1", reason="ended", by="me", session=summary)
    assert primary.apply(event(MultiHost.ENDED, ended))
    assert primary.session is None and primary.notice == "The session ended."


def test_an_ended_session_withdraws_its_invitation() -> None:
    guest = CohostState("them")
    summary = session([host("me", "primary", True)])
    invited = Invited(session_id="s1", invitation=invitation("them"), session=summary)
    guest.apply(event(MultiHost.INVITED, invited))
    ended = SessionEnded(session_id="s1", reason="ended", by="me", session=summary)
    assert guest.apply(event(MultiHost.ENDED, ended)) and guest.incoming == {}
    assert not guest.apply(event(MultiHost.ENDED, ended))  # nothing of theirs any more


def test_a_declined_request_says_so() -> None:
    fan = CohostState("fan")
    declined = RequestDeclined(
        session_id="s1",
        request=invitation("fan", "request").model_copy(update={"status": "declined"}),
    )
    assert fan.apply(event(MultiHost.REQUEST_DECLINED, declined))
    assert fan.notice == "Your request to join was declined."


def test_a_lapsed_invitation_or_request_disappears_for_everyone() -> None:
    primary = CohostState("me")
    primary.load(session([host("me", "primary", True)]))
    guest = CohostState("them")
    summary = session([host("me", "primary", True)])
    invited = Invited(session_id="s1", invitation=invitation("them"), session=summary)
    for state in (primary, guest):
        state.apply(event(MultiHost.INVITED, invited))
    asked = JoinRequested(session_id="s1", request=invitation("fan", "request"))
    primary.apply(event(MultiHost.JOIN_REQUESTED, asked))

    def lapsed(user: str, kind: InvitationKind = "invite") -> ServerEvent:
        expired = invitation(user, kind).model_copy(update={"status": "expired"})
        return event(
            MultiHost.INVITATION_EXPIRED, InvitationExpired(session_id="s1", invitation=expired)
        )

    assert guest.apply(lapsed("them")) and guest.incoming == {}
    assert primary.apply(lapsed("them")) and primary.session is not None
    assert primary.pending.invitations == []
    assert [r.user.id for r in primary.pending.requests] == ["fan"]
    assert primary.apply(lapsed("fan", "request")) and primary.pending.requests == []
    assert not guest.apply(lapsed("fan", "request"))  # not theirs, nothing to close


def test_events_of_other_domains_are_not_cohost_business() -> None:
    state = CohostState("me")
    state.load(session([host("me", "primary", True)]))
    assert not state.apply(ServerEvent("stream:viewers", {"stream": "me", "viewers": 3}))
    assert card("me").label == "Me"

"""Real-time event names and rooms, shared by the backend, the studio and tests.

Names follow the product spec exactly; clients import them from here instead of copying strings.
"""

from __future__ import annotations


def battle_room(battle_id: str) -> str:
    return f"pk-battle:{battle_id}"


def multihost_room(session_id: str) -> str:
    return f"multihost:{session_id}"


def shopping_room(session_id: str) -> str:
    return f"live-shopping:{session_id}"


def webrtc_room(room_id: str) -> str:
    return f"webrtc:{room_id}"


def user_room(user_id: str) -> str:
    return f"user_{user_id}"


def stream_room(stream_id: str) -> str:
    """A stream's room (``stream:{streamId}``, the stream named as in ``/whip/{stream}``)."""
    return f"stream:{stream_id}"


def chat_mod_room(stream_id: str) -> str:
    """The room of a stream's host and moderators: reports, held messages, the action log."""
    return f"chat-mod:{stream_id}"


def chat_rooms(stream: str) -> tuple[str, str]:
    """Where a stream's public chat events go: its viewers' room and its moderators' room (the
    streamer's studio follows the chat there without counting as a viewer)."""
    return stream_room(stream), chat_mod_room(stream)


class PK:
    CREATED = "pk-battle:created"
    STARTED = "pk-battle:started"
    GIFT = "pk-battle:gift"
    ENDED = "pk-battle:ended"
    CANCELLED = "pk-battle:cancelled"


class MultiHost:
    INVITED = "multihost:invited"
    JOINED = "multihost:joined"
    LEFT = "multihost:left"
    SETTINGS = "multihost:settings"
    LAYOUT_CHANGED = "multihost:layout-changed"
    ENDED = "multihost:ended"
    STARTED = "multihost:started"
    JOIN_REQUESTED = "multihost:join-requested"
    REQUEST_DECLINED = "multihost:request-declined"
    INVITATION_EXPIRED = "multihost:invitation-expired"


class Shopping:
    PRODUCT_ADDED = "live-shopping:product-added"
    PRODUCT_PINNED = "live-shopping:product-pinned"
    FLASH_SALE = "live-shopping:flash-sale"
    ORDER = "live-shopping:order"
    SOLD_OUT = "live-shopping:sold-out"
    VOUCHER = "live-shopping:voucher"
    STARTED = "live-shopping:started"
    ENDED = "live-shopping:ended"
    FLASH_SALE_ENDED = "live-shopping:flash-sale-ended"
    ORDER_UPDATED = "live-shopping:order-updated"


class StreamFilters:
    APPLIED = "stream-filters:applied"


class Stream:
    VIEWERS = "stream:viewers"  # {"stream", "viewers"}: to the stream's room and its owner
    LIKES = "stream:likes"  # the live's likes so far: to the stream's room and its owner
    GIFT = "stream:gift"  # a gift outside a PK battle: to the stream's room and the recipient


class Follow:
    FOLLOWERS = "follow:followers"  # to a streamer's user room: someone followed or left


class Notify:
    """A signed-in user's notifications, to their user room."""

    ADDED = "notification:added"
    READ = "notification:read"  # marked read (on another page, say): the new unread count


class Chat:
    """A stream's live chat: public events go to ``stream_room``, the rest to ``chat_mod_room``."""

    MESSAGE = "chat:message"
    DELETED = "chat:deleted"
    PINNED = "chat:pinned"
    UNPINNED = "chat:unpinned"
    CLEARED = "chat:cleared"
    USER_TIMED_OUT = "chat:user-timed-out"
    USER_BANNED = "chat:user-banned"
    SETTINGS = "chat:settings"
    MODERATORS = "chat:moderators"
    # to chat_mod_room only
    REPORT = "chat:report"  # a new report, or one resolved (status says which)
    HELD = "chat:held"  # a message waits for review
    HELD_DECIDED = "chat:held-decided"
    ACTION = "chat:action"  # a line of the moderation log


class Hub:
    """Control messages of the /ws protocol itself."""

    JOIN = "join"
    LEAVE = "leave"
    JOINED = "joined"
    LEFT = "left"
    PING = "ping"
    PONG = "pong"
    ERROR = "error"
    HELLO = "hello"


class WebRTC:
    """The ``webrtc:*`` events of the spec (the viewer page uses the same names)."""

    # room management
    JOIN_ROOM = "webrtc:join-room"
    LEAVE_ROOM = "webrtc:leave-room"
    PEER_JOINED = "webrtc:peer-joined"
    PEER_LEFT = "webrtc:peer-left"
    EXISTING_PEERS = "webrtc:existing-peers"
    # signaling
    OFFER = "webrtc:offer"
    ANSWER = "webrtc:answer"
    ICE_CANDIDATE = "webrtc:ice-candidate"
    # PK battle
    START_PK_BATTLE = "webrtc:start-pk-battle"
    PK_BATTLE_READY = "webrtc:pk-battle-ready"
    # multi-host
    START_MULTIHOST = "webrtc:start-multihost"
    MULTIHOST_READY = "webrtc:multihost-ready"
    TOGGLE_TRACK = "webrtc:toggle-track"
    TRACK_TOGGLED = "webrtc:track-toggled"
    CHANGE_LAYOUT = "webrtc:change-layout"
    LAYOUT_CHANGED = "webrtc:layout-changed"
    # quality and monitoring
    ADAPT_QUALITY = "webrtc:adapt-quality"
    QUALITY_ADAPTED = "webrtc:quality-adapted"
    PEER_QUALITY_CHANGED = "webrtc:peer-quality-changed"
    HEALTH_CHECK = "webrtc:health-check"
    HEALTH_STATUS = "webrtc:health-status"
    CONNECTION_WARNING = "webrtc:connection-warning"
    STATS_UPDATE = "webrtc:stats-update"
    PEER_STATS = "webrtc:peer-stats"
    # renegotiation
    RENEGOTIATE = "webrtc:renegotiate"
    RENEGOTIATION_NEEDED = "webrtc:renegotiation-needed"
    # errors
    ERROR = "webrtc:error"

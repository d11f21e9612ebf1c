"""PK battle panel: challenge a streamer, answer a challenge, the live battle, the result.

Everything shown comes from the server: the panel folds REST snapshots and ``pk-battle:*``
events into :class:`studio.core.state.PKState` and renders the page for its phase. The
countdown runs on the server's clock (its ``serverTime``), the score bar glides to each new
score, and the battle room is joined so gifts arrive while it lasts.

While the battle runs the preview area shows both hosts side by side
(:class:`BattleStage`): the user's own frames, and the opponent's stream played over WHEP
from the backend's WHEP template, tried again every few seconds until they are live.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache

import httpx
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from filters.assets import asset
from studio.core.api_client import ApiError, BackendUnreachable
from studio.core.broadcast import Broadcast
from studio.core.events import ServerEvent
from studio.core.media_config import ice_servers, media_config, media_url
from studio.core.settings_store import StudioSettings
from studio.core.state import FEED_LENGTH, PKPhase, PKState
from studio.core.subscriber import PlayRejected, WhepPlayer
from studio.core.tasks import cancel_and_wait
from studio.core.wording import coins
from studio.ui import theme
from studio.ui.confirm import Question, confirm
from studio.ui.panels.common import RoomFollower, ServerPanel, UserSearch, presence_text
from studio.ui.parts import PanelParts
from studio.ui.stage import PairStage, TileFeeds
from studio.ui.stage_area import StageArea
from studio.ui.user_text import PlainLabel, escaped
from studio.ui.widgets import (
    Avatar,
    Card,
    ElidedLabel,
    PlaceholderList,
    ScoreBar,
    clock_text,
    dim,
    role_button,
    section,
)
from wire.events import PK, battle_room
from wire.pk import Battle, BattleHost, SentGift, Supporter
from wire.users import Account, FoundUser

DURATIONS = (1, 3, 5, 10)
GIFT_ICON = 22
RANK_COLOURS = ("#ffc83d", "#c9d1e0", "#e0925a")  # gold, silver, bronze
RETRY_PLAY_S = 2.0  # between tries to play the opponent's stream (not live yet, or it dropped)
LIVE_CHECK_MS = 5_000  # how often a waiting or running battle asks who of its hosts is live
ASKS_WHO_IS_LIVE = (PKPhase.OUTGOING, PKPhase.INCOMING, PKPhase.LIVE)


@lru_cache(maxsize=64)
def gift_icon(gift_id: str) -> QIcon:
    """The gift's picture, rendered once at the feed's size (SVG rendering is not free)."""
    path = asset("gifts", f"{gift_id}.svg")
    if not path.exists():
        return QIcon()
    return QIcon(QIcon(str(path)).pixmap(QSize(GIFT_ICON, GIFT_ICON)))


class LiveLabel(PlainLabel):
    """ "● Live" or "Not live" for a battle host, from the backend's battle detail."""

    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)

    def show_live(self, live: bool | None) -> None:
        text, colour = presence_text(live)
        self.setText(f"● {text}" if live else text)
        self.setStyleSheet(f"color: {colour}; font-size: 11px; font-weight: 700;")
        self.setVisible(bool(text))


class ChallengePage(QWidget):
    """Search a streamer, pick a duration, send the challenge."""

    def __init__(self, panel: PKPanel) -> None:
        super().__init__()
        self.panel = panel
        self.finder = UserSearch(panel.account, panel.tasks, "Search streamers by name…")
        self.duration = QComboBox()
        for minutes in DURATIONS:
            self.duration.addItem(f"{minutes} min", minutes)
        index = self.duration.findData(panel.settings.battle_minutes)
        self.duration.setCurrentIndex(max(0, index))
        self.title = QLineEdit()
        self.title.setPlaceholderText("Battle title (optional)")
        self.title.setMaxLength(120)
        self.challenge = role_button("Send challenge", "primary")
        self.challenge.setEnabled(False)
        self.finder.selection_changed.connect(
            lambda: self.challenge.setEnabled(self.finder.user is not None)
        )
        self.finder.chosen.connect(lambda _: self._send())
        self.challenge.clicked.connect(self._send)

        options = QHBoxLayout()
        options.addWidget(QLabel("Length"))
        options.addWidget(self.duration)
        options.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section("Challenge a streamer"))
        layout.addWidget(self.finder, 1)
        layout.addLayout(options)
        layout.addWidget(self.title)
        layout.addWidget(self.challenge)
        layout.addWidget(
            dim(
                "Viewers send gifts; the side with more coins when time runs out "
                "wins 50 coins plus 10% of everything gifted."
            )
        )

    def _send(self) -> None:
        opponent = self.finder.user
        if opponent is not None:
            minutes = int(self.duration.currentData())
            self.panel.settings.battle_minutes = minutes
            self.panel.challenge(opponent, minutes, self.title.text().strip())


class InvitePage(QWidget):
    """A challenge waiting for an answer: mine (cancel) or theirs (accept / decline)."""

    def __init__(self, panel: PKPanel) -> None:
        super().__init__()
        card = Card()
        self.avatar = Avatar(size=56)
        self.live = LiveLabel()
        self.headline = PlainLabel()
        self.headline.setObjectName("title")
        self.headline.setWordWrap(True)
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = dim()
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.expires = QLabel()
        self.expires.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.expires.setStyleSheet(f"color: {theme.TEXT_DIM}; font-size: 12px;")
        self.accept = role_button("Accept battle", "primary")
        self.decline = role_button("Decline", "danger")
        self.cancel = role_button("Cancel challenge", "danger")
        self.accept.clicked.connect(panel.accept)
        self.decline.clicked.connect(panel.decline)
        self.cancel.clicked.connect(panel.cancel_challenge)
        card.body.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignHCenter)
        card.body.addWidget(self.live)
        card.body.addWidget(self.headline)
        card.body.addWidget(self.detail)
        card.body.addWidget(self.expires)
        buttons = QHBoxLayout()
        buttons.addWidget(self.decline)
        buttons.addWidget(self.accept, 1)
        card.body.addLayout(buttons)
        card.body.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card)
        layout.addStretch()

    def show_invite(self, state: PKState) -> None:
        battle = state.battle
        assert battle is not None
        incoming = state.phase is PKPhase.INCOMING
        other = battle.host1 if incoming else battle.host2
        self.avatar.set_name(other.label)
        self.live.show_live(state.live.get(other.id))
        self.headline.setText(
            f"{other.label} challenges you!" if incoming else f"Waiting for {other.label}…"
        )
        title = f"“{battle.title}” · " if battle.title else ""
        self.detail.setText(f"{title}{battle.duration}-minute PK battle")
        for button in (self.accept, self.decline):
            button.setVisible(incoming)
        self.cancel.setVisible(not incoming)

    def tick(self, state: PKState) -> None:
        self.expires.setText(f"Invitation expires in {clock_text(state.seconds_left())}")


class HostBadge(QWidget):
    """A host's avatar and name over their side's colour."""

    def __init__(self, colour: str) -> None:
        super().__init__()
        self.avatar = Avatar(size=44)
        self.name = ElidedLabel()
        self.name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name.setStyleSheet(f"color: {colour}; font-weight: 700;")
        self.name.setMaximumWidth(120)  # long names end in "…", the whole name in the tooltip
        self.live = LiveLabel()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.name)
        column.addWidget(self.live)

    def show_host(self, label: str, live: bool | None) -> None:
        self.avatar.set_name(label)
        self.name.setText(label)
        self.live.show_live(live)


class LivePage(QWidget):
    """The running battle: timer, both hosts, the score bar, gifts and top supporters."""

    def __init__(self, panel: PKPanel) -> None:
        super().__init__()
        self.me = HostBadge(theme.ACCENT)
        self.them = HostBadge(theme.OPPONENT)
        self.timer = QLabel("0:00")
        self.timer.setObjectName("hero")
        self.timer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._urgent = False
        caption = dim("PK BATTLE")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        caption.setStyleSheet("font-size: 10px; font-weight: 800; letter-spacing: 2px;")
        self.bar = ScoreBar()
        self.feed = PlaceholderList("Gifts appear here as viewers send them.")
        self.feed.setIconSize(QSize(GIFT_ICON, GIFT_ICON))
        self.feed.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.feed.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.feed.setMinimumHeight(140)
        self.my_fans = QLabel()
        self.their_fans = QLabel()
        self.forfeit = role_button("End battle early", "danger")
        self.forfeit.clicked.connect(panel.end_early)

        clock = QVBoxLayout()
        clock.setSpacing(0)
        clock.addWidget(caption)
        clock.addWidget(self.timer)
        hosts = QHBoxLayout()
        hosts.addWidget(self.me, 1)
        hosts.addLayout(clock, 1)
        hosts.addWidget(self.them, 1)
        fans = QHBoxLayout()
        for column in (self.my_fans, self.their_fans):
            column.setAlignment(Qt.AlignmentFlag.AlignTop)
            column.setTextFormat(Qt.TextFormat.RichText)
            card = Card()
            card.body.addWidget(column)
            fans.addWidget(card, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(hosts)
        layout.addWidget(self.bar)
        layout.addWidget(section("Gifts"))
        layout.addWidget(self.feed, 1)
        layout.addWidget(section("Top supporters"))
        layout.addLayout(fans)
        layout.addWidget(self.forfeit)

    def show_battle(self, state: PKState) -> None:
        battle = state.battle
        assert battle is not None
        for badge, side in ((self.me, state.my_side), (self.them, state.their_side)):
            host = battle.host(side)
            badge.show_host(host.label, state.live.get(host.id))
        self.feed.clear()
        for gift in state.feed:
            self.feed.addItem(self._gift_item(gift, battle, state))
        self.show_scores(state)

    def add_gift(self, state: PKState) -> None:
        """The newest gift on top of the feed, and the scores it brought."""
        assert state.battle is not None
        self.feed.insertItem(0, self._gift_item(state.feed[0], state.battle, state))
        while self.feed.count() > FEED_LENGTH:
            self.feed.takeItem(self.feed.count() - 1)
        self.show_scores(state)

    def show_scores(self, state: PKState) -> None:
        self.bar.set_scores(state.scores[state.my_side], state.scores[state.their_side])
        self.my_fans.setText(self._fans("Your fans", state.supporters.side(state.my_side)))
        self.their_fans.setText(self._fans("Their fans", state.supporters.side(state.their_side)))

    def tick(self, state: PKState) -> None:
        left = state.seconds_left()
        self.timer.setText(clock_text(left))
        urgent = left <= 10
        if urgent != self._urgent:  # restyling is costly: only when it changes
            self._urgent = urgent
            self.timer.setStyleSheet(f"color: {theme.DANGER if urgent else theme.TEXT};")

    @staticmethod
    def _gift_item(gift: SentGift, battle: Battle, state: PKState) -> QListWidgetItem:
        to = "you" if gift.side == state.my_side else battle.host(gift.side).label
        item = QListWidgetItem(
            gift_icon(gift.gift_id),
            f"{gift.sender.label} sent {gift.quantity}× {gift.name} to {to}",
        )
        item.setToolTip(coins(gift.coins))
        colour = theme.ACCENT if gift.side == state.my_side else theme.OPPONENT
        item.setForeground(QColor(colour))
        return item

    @staticmethod
    def _fans(title: str, supporters: list[Supporter]) -> str:
        rows = [f"<span style='color:{theme.TEXT_DIM}; font-size:11px'>{title.upper()}</span>"]
        for rank, fan in enumerate(supporters, start=1):
            colour = RANK_COLOURS[rank - 1] if rank <= len(RANK_COLOURS) else theme.TEXT_DIM
            rows.append(
                f"<b style='color:{colour}'>{rank}</b>&nbsp; {escaped(fan.label)}"
                f" <span style='color:{theme.TEXT_DIM}'>{fan.coins:,}</span>"
            )
        if not supporters:
            rows.append(f"<span style='color:{theme.TEXT_DIM}'>no gifts yet</span>")
        return "<br>".join(rows)


class ResultPage(QWidget):
    def __init__(self, panel: PKPanel) -> None:
        super().__init__()
        card = Card()
        self.headline = QLabel()
        self.headline.setObjectName("hero")
        self.headline.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = dim()
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.score = PlainLabel()
        self.score.setObjectName("title")
        self.score.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rewards = QLabel()
        self.rewards.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.rewards.setStyleSheet(f"color: {theme.WARNING}; font-size: 15px; font-weight: 700;")
        again = role_button("New battle", "primary")
        again.clicked.connect(panel.dismiss)
        card.body.addWidget(self.headline)
        card.body.addWidget(self.note)
        card.body.addWidget(self.score)
        card.body.addWidget(self.rewards)
        card.body.addWidget(again)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card)
        layout.addStretch()

    def show_result(self, state: PKState) -> None:
        result = state.result
        assert result is not None
        colour = {"won": theme.SUCCESS, "lost": theme.DANGER}.get(result.outcome, theme.TEXT)
        self.headline.setText(result.headline)
        self.headline.setStyleSheet(f"color: {colour};")
        self.note.setText(result.note)
        self.note.setVisible(bool(result.note))
        finished = result.outcome in ("won", "lost", "draw")
        self.score.setText(
            f"{result.my_score:,} : {result.their_score:,}  vs {result.opponent}"
            if finished
            else f"with {result.opponent}"
        )
        earned = (
            f"+{coins(result.coins)}" if result.coins else "",
            f"+{result.xp} XP" if result.xp else "",
        )
        self.rewards.setText("   ".join(part for part in earned if part))


@dataclass(frozen=True)
class Fighter:
    """A battle host on the stage (a :class:`studio.ui.stage.StageHost`)."""

    user_id: str
    label: str
    primary: bool = False
    audio_enabled: bool = True
    video_enabled: bool = True


class BattleStage:
    """Both hosts side by side while the battle runs; the opponent's video played over WHEP."""

    def __init__(self, panel: PKPanel) -> None:
        self.panel = panel
        self.stage = PairStage()
        self.feeds = TileFeeds(self.stage)
        self.battle_id = ""
        self.player: WhepPlayer | None = None  # the opponent's stream, while it plays
        self._opponent: asyncio.Task[None] | None = None

    def show(self, state: PKState) -> None:
        battle = state.battle
        assert battle is not None
        me, them = battle.host(state.my_side), battle.host(state.their_side)
        self.stage.set_pair(
            (me.id, them.id),
            {host.id: Fighter(host.id, host.label) for host in (me, them)},
            state.me,
            rings={them.id: theme.OPPONENT},
        )
        if battle.id == self.battle_id:
            return
        self.stop()
        self.battle_id = battle.id
        flow = self.panel.broadcast.program
        if flow is not None:
            self.feeds.local(me.id, flow)
        self._opponent = self.panel.tasks.spawn(self._play(them), "Playing your opponent's stream")

    def stop(self) -> None:
        """The battle is over: stop playing the opponent and feeding the tiles."""
        if self.battle_id:
            self.battle_id = ""
            self.panel.tasks.spawn(self.close())

    async def close(self) -> None:
        task, self._opponent = self._opponent, None
        if task is not None:
            await cancel_and_wait(task)
        await self.feeds.stop_all()

    async def _play(self, opponent: BattleHost) -> None:
        """The opponent's stream on their tile, tried again until they are live (or back)."""
        api = self.panel.account.api
        config = await media_config(api)
        url = media_url(api.base_url, config.whep, opponent.username)
        while True:
            player = self.player = WhepPlayer(
                url, token=api.token, ice_servers=ice_servers(config), kinds=("video",)
            )
            try:
                await player.start()
                if player.video is not None:
                    await self.feeds.remote(opponent.id, player.video)  # until the track ends
            except (PlayRejected, TimeoutError, httpx.HTTPError):
                pass  # not live (yet): the tile shows their avatar meanwhile
            finally:
                self.player = None
                await player.stop()
            await asyncio.sleep(RETRY_PLAY_S)


class PKPanel(ServerPanel):
    loading_text = "Loading your battles"

    def __init__(
        self,
        parts: PanelParts,
        *,
        settings: StudioSettings,
        broadcast: Broadcast,
        stages: StageArea,
    ) -> None:
        super().__init__(parts, "Sign in to battle other streamers.")
        self.settings = settings
        self.broadcast = broadcast
        self.stages = stages
        self.state: PKState | None = None
        self.room = RoomFollower(parts.account, battle_room)
        self.challenge_page = ChallengePage(self)
        self.invite_page = InvitePage(self)
        self.live_page = LivePage(self)
        self.result_page = ResultPage(self)
        self.add_pages(self.challenge_page, self.invite_page, self.live_page, self.result_page)
        self.versus = BattleStage(self)
        self.live_check = QTimer(self)
        self.live_check.setInterval(LIVE_CHECK_MS)
        self.live_check.timeout.connect(self._check_live)

    @property
    def phase(self) -> PKPhase | None:
        return self.state.phase if self.state is not None else None

    # ---- actions --------------------------------------------------------------------
    def challenge(self, opponent: FoundUser, minutes: int, title: str) -> None:
        self.tasks.spawn(self._challenge(opponent, minutes, title), "The challenge")

    def accept(self) -> None:
        if self.state is not None and self.state.battle is not None:
            self.tasks.spawn(self._accept(self.state.battle.id), "Accepting")

    def decline(self) -> None:
        if self.state is not None and self.state.battle is not None:
            self.tasks.spawn(self._leave(self.state.battle.id), "Declining")

    def cancel_challenge(self) -> None:
        """Withdraw my waiting challenge, once I have said so."""
        battle = self._battle_in(PKPhase.OUTGOING)
        if battle is not None:
            self._leave_if_agreed(
                battle,
                PKPhase.OUTGOING,
                Question(
                    "Cancel your challenge?",
                    f"Your challenge to {battle.host2.label} is withdrawn. The battle won't "
                    "happen: nobody wins and no coins change hands.",
                    "Cancel challenge",
                    "Keep waiting",
                ),
                "Cancelling the challenge",
            )

    def end_early(self) -> None:
        """Forfeit the running battle, once I have said so: the opponent wins."""
        battle = self._battle_in(PKPhase.LIVE)
        if battle is not None and self.state is not None:
            opponent = battle.opponent_of(self.state.me).label
            self._leave_if_agreed(
                battle,
                PKPhase.LIVE,
                Question(
                    "End the battle early?",
                    f"You forfeit: {opponent} wins and gets the rewards. "
                    "Gifts already sent stay counted.",
                    "End battle and forfeit",
                    "Keep battling",
                ),
                "Ending the battle",
            )

    def _battle_in(self, phase: PKPhase) -> Battle | None:
        """The battle shown, if the panel is in ``phase``."""
        return self.state.battle if self.state is not None and self.phase is phase else None

    def _leave_if_agreed(
        self, battle: Battle, phase: PKPhase, question: Question, what: str
    ) -> None:
        if not confirm(
            self, question.title, question.text, question.accept_label, question.reject_label
        ):
            return
        now = self._battle_in(phase)  # the answer took a while: is it still the same battle?
        if now is not None and now.id == battle.id:
            self.tasks.spawn(self._leave(battle.id), what)

    def dismiss(self) -> None:
        if self.state is not None:
            self.state.dismiss()
            self.refresh()
            self.challenge_page.finder.run_search()

    async def _challenge(self, opponent: FoundUser, minutes: int, title: str) -> None:
        await self._show(await self.account.api.create_battle(opponent.id, minutes, title))

    async def _accept(self, battle_id: str) -> None:
        await self._show(await self.account.api.accept_battle(battle_id))

    async def _leave(self, battle_id: str) -> None:
        await self._show(await self.account.api.leave_battle(battle_id))

    async def _show(self, battle: Battle) -> None:
        if self.state is None:
            return
        self.state.load(battle)
        await self._follow()
        self.refresh()

    # ---- server state ---------------------------------------------------------------
    def signed_in(self, user: Account | None) -> None:
        self.state = PKState(user.id) if user is not None else None
        self.room.reset()
        self.refresh()
        if user is not None:
            self.reload()
            self.challenge_page.finder.run_search()

    async def _fetch(self) -> None:
        state = self.state
        if state is None:
            return
        battles = await self.account.api.user_battles(state.me)
        current = next((b for b in battles if b.status in ("pending", "active")), None)
        if current is not None:
            detail = await self.account.api.battle(current.id)
            state.load(detail)
        elif state.battle is not None and state.result is None:
            state.load(await self.account.api.battle(state.battle.id))
        await self._follow()
        self.refresh()

    def event_received(self, event: ServerEvent) -> None:
        state = self.state
        if state is None or not event.name.startswith("pk-battle:"):
            return
        if state.apply(event):
            if event.name in (PK.CREATED, PK.STARTED):
                self.tasks.spawn(self._follow(), "Joining the battle")
            if event.name == PK.GIFT and self.phase is PKPhase.LIVE:
                self.live_page.add_gift(state)
            else:
                self.refresh()

    def _check_live(self) -> None:
        if self.state is not None and self.state.battle is not None:
            self.tasks.spawn(self._fetch_live(self.state.battle.id))

    async def _fetch_live(self, battle_id: str) -> None:
        """Who of the hosts is live now; a failed look is skipped (the next one comes soon)."""
        try:
            detail = await self.account.api.battle(battle_id)
        except (ApiError, BackendUnreachable):
            return
        if self.state is not None and self.state.note_live(detail):
            self.refresh()

    async def _follow(self) -> None:
        """Be in the room of the battle being shown (gifts only go to the battle room)."""
        state = self.state
        if state is not None:
            shown = state.battle is not None and state.result is None
            await self.room.follow(state.battle.id if shown and state.battle else "")

    async def shutdown(self) -> None:
        self.live_check.stop()
        self.state = None  # nothing may show (and start playing) the battle again
        self.versus.battle_id = ""
        await self.versus.close()
        await self.versus.feeds.close()

    # ---- rendering ------------------------------------------------------------------
    def refresh(self) -> None:
        state = self.state
        if state is not None and state.phase is PKPhase.LIVE:
            self.versus.show(state)
            self.stages.show_stage(self.versus.stage)
        else:
            self.versus.stop()
            self.stages.hide_stage(self.versus.stage)
        self._keep_checking_live(state is not None and state.phase in ASKS_WHO_IS_LIVE)
        if state is None:
            self.show_page(self.signed_out)
            return
        phase = state.phase
        waiting = phase in (PKPhase.OUTGOING, PKPhase.INCOMING)
        if phase is PKPhase.IDLE:
            self.show_page(self.challenge_page)
        elif waiting:
            self.invite_page.show_invite(state)
            self.show_page(self.invite_page, ticking=True)
        elif phase is PKPhase.LIVE:
            self.live_page.show_battle(state)
            self.show_page(self.live_page, ticking=True)
        else:
            self.result_page.show_result(state)
            self.show_page(self.result_page)

    def _keep_checking_live(self, wanted: bool) -> None:
        if wanted and not self.live_check.isActive():
            self.live_check.start()
            self._check_live()
        elif not wanted:
            self.live_check.stop()

    def tick(self) -> None:
        state = self.state
        if state is None:
            return
        if state.phase is PKPhase.LIVE:
            self.live_page.tick(state)
        elif state.phase in (PKPhase.OUTGOING, PKPhase.INCOMING):
            self.invite_page.tick(state)

// Co-host sessions: the shared layout state (mode, grid size, main host, order, PiP boxes) and
// each host's audio/video flags, turned into stage entries. Every change arrives as an event.

import { displayName } from "./format.js";

export function setupCohost({ realtime, feed, onChange, refresh }) {
  let session = null;
  const room = (s) => (s ? `multihost:${s.id}` : null);

  function set(next) {
    // A snapshot fetched before the latest layout event must not roll the layout back.
    if (next && session && next.id === session.id && next.layout.version < session.layout.version) {
      next = { ...next, layout: session.layout };
    }
    if (room(session) !== room(next)) {
      if (session) realtime.leave(room(session));
      if (next) realtime.join(room(next));
    }
    session = next;
    onChange();
  }

  function ours(data) {
    return session && data.sessionId === session.id;
  }

  realtime.on("multihost:layout-changed", (data) => {
    if (ours(data)) set({ ...session, layout: data.layout });
  });
  realtime.on("multihost:settings", (data) => {
    if (!ours(data)) return;
    const hosts = session.hosts.map((host) => (host.userId === data.userId ? data.host : host));
    set({ ...session, hosts });
  });
  realtime.on("multihost:joined", (data) => {
    if (!ours(data)) return;
    feed.add(`${displayName(data.host)} joined as a co-host`);
    refresh();
  });
  realtime.on("multihost:left", (data) => {
    if (ours(data)) refresh();
  });
  realtime.on("multihost:ended", (data) => {
    if (ours(data)) set(null);
  });

  /** The stage's mode, grid variant and tiles (main host first) for the current layout. */
  function arrangement() {
    const layout = session.layout;
    const byId = new Map(session.hosts.map((host) => [host.userId, host]));
    // The server's tiles (backend/stage_layout.py): the studio draws the very same geometry.
    const tiles = layout.tiles.filter((tile) => byId.has(tile.userId));
    const entries = tiles.map((tile) => {
      const host = byId.get(tile.userId);
      return {
        stream: host.streamId || host.username,
        name: displayName(host),
        muted: !host.audioEnabled,
        cameraOff: !host.videoEnabled,
        box: { x: tile.x, y: tile.y, w: tile.width, h: tile.height },
      };
    });
    return { mode: layout.mode, variant: layout.grid ?? "", entries };
  }

  return {
    set,
    get active() {
      return Boolean(session && session.hosts.length);
    },
    arrangement,
  };
}

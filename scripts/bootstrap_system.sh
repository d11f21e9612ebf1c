#!/usr/bin/env bash
# Installs the Debian packages OnAir Studio needs that are missing on this machine.
# Qt's xcb platform, OpenCV/mediapipe's GL, Xvfb for real windows, Chromium for browser tests,
# redis-server for the multi-worker tests, coturn for the TURN credential test, PostgreSQL for
# the second storage engine, nginx's RTMP module and ffmpeg (ffprobe) for the RTMP outputs,
# x11-utils (xwininfo) to list the windows a window capture can show.
set -euo pipefail

packages=(
  xvfb xauth chromium fonts-dejavu-core fonts-noto-color-emoji
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxcb-cursor0 libxcb-xfixes0
  redis-server coturn postgresql nginx libnginx-mod-rtmp ffmpeg x11-utils
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "bootstrap: installing Debian packages: ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "bootstrap: not root and no sudo; please install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

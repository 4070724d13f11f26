#!/usr/bin/env bash
# Regenerates the README's screenshots of the stats views:
#   docs/stats-pane.png  the TUI's stats pane (t), captured from tmux
#   docs/report.png      the HTML report (sioproxy report), in Chromium
# Both come from `sioproxy demo`: a built-in app, real relays and simulated
# clients with a few genuine faults. Needs Go, tmux and Debian's chromium.
#   scripts/screenshots.sh [OUTDIR]      (default docs/)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs}"
mkdir -p "$out"
work="$(mktemp -d)"
sock="sioproxy-shots-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for tool in tmux chromium; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
go build -o "$work/sioproxy" ./cmd/sioproxy
go build -o "$work/ansi2html" ./scripts/ansi2html

shoot() { # html png width height
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size="$3,$4" \
    --screenshot="$2" "file://$1" >/dev/null 2>&1
  [ -s "$2" ] || { echo "screenshots: chromium wrote no $2" >&2; exit 1; }
}

# wait_for TEXT SECONDS: until the tmux screen shows TEXT.
wait_for() {
  local deadline=$((SECONDS + $2))
  until tmux -L "$sock" capture-pane -t shots -p | grep -qF -- "$1"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "screenshots: the terminal never showed '$1'; it shows:" >&2
      tmux -L "$sock" capture-pane -t shots -p >&2
      exit 1
    fi
    sleep 0.5
  done
}

# 1. The stats pane: the demo in a 160×44 terminal, recorded for step 2.
tmux -L "$sock" new-session -d -s shots -x 160 -y 44 \
  "env TERM=xterm-256color COLORTERM= $work/sioproxy demo --record $work/demo.jsonl --pace 0.5"
wait_for "Faults (" 60
sleep 25 # let the sparklines and histograms fill
tmux -L "$sock" send-keys -t shots t
wait_for "Events by name and direction" 10
sleep 1.5 # one refresh of the pane
tmux -L "$sock" capture-pane -t shots -e -p | "$work/ansi2html" -title "sioproxy stats pane" >"$work/pane.html"
shoot "$work/pane.html" "$out/stats-pane.png" 1390 790
tmux -L "$sock" send-keys -t shots q
for _ in $(seq 1 40); do tmux -L "$sock" has-session -t shots 2>/dev/null || break; sleep 0.25; done

# 2. The HTML report of that recording.
"$work/sioproxy" report "$work/demo.jsonl" -o "$work/report.html" --title "sioproxy demo"
shoot "$work/report.html" "$out/report.png" 1400 1500
echo "screenshots: wrote $out/stats-pane.png and $out/report.png"

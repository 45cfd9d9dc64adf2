#!/usr/bin/env bash
# Idle CPU of the real TUI: runs `kubelift init --dry-run` in tmux (120x40),
# goes to the Done screen with the defaults, then samples utime+stime from
# /proc/<pid>/stat over 10 s, there and on the Welcome screen.
# Usage: benches/idle_cpu.sh [path/to/kubelift]   (budget: below 1 %)
set -euo pipefail
bin=${1:-target/debug/kubelift}
root=$(mktemp -d)
session=kubelift-idle-$$
trap 'tmux kill-session -t $session 2>/dev/null; rm -rf "$root"' EXIT
hz=$(getconf CLK_TCK)

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

sample() { # name pid
  local before after
  before=$(ticks "$2"); sleep 10; after=$(ticks "$2")
  awk -v n="$1" -v d=$((after - before)) -v hz="$hz" 'BEGIN { printf "%s: %d ticks in 10 s = %.2f %% CPU\n", n, d, d * 100 / (hz * 10) }'
}

wait_for() { # text
  for _ in $(seq 100); do tmux capture-pane -p -t $session | grep -q "$1" && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; tmux capture-pane -p -t $session >&2; exit 1
}

tmux new-session -d -s $session -x 120 -y 40 "exec $bin init --dry-run --root $root --log-file $root/log"
wait_for "What would you like"
pid=$(tmux list-panes -t $session -F '#{pane_pid}')
sample "welcome screen, idle" "$pid"
tmux send-keys -t $session Enter; wait_for "No check reported"
tmux send-keys -t $session Enter; wait_for "Your cluster"
tmux send-keys -t $session Enter; wait_for "Plan:"
tmux send-keys -t $session Enter; wait_for "Join worker nodes"
sample "done screen, idle after a dry run" "$pid"

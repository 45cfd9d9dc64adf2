#!/usr/bin/env bash
# Wall time to generate every artifact of the reference config: the certs,
# kubeconfig, control-plane and etcd/local phases of init, by kubelift
# (RSA-2048 and ECDSA-P256) and by real kubeadm v1.24 doing the same, side by
# side: each round runs the three one after the other, so machine load hits
# all of them alike. Prints every round (wall and CPU time), then medians.
#
#   sudo benches/artifacts.sh [ROUNDS] [KUBELIFT_BINARY]
#
# Environment:
#   KUBELIFT_E2E_BIN  folder with kubeadm v1.24 (required)
#   BENCH_DIR         where the roots are made (default /tmp: a disk, so the
#                     fsyncs count; /dev/shm shows the CPU side alone)
#   BENCH_NICE        nice level for all three (default 0; -19 lets them run
#                     ahead of other work on a shared machine; same for all).
#                     With the kernel's autogroups (sched_autogroup_enabled=1)
#                     nice only ranks processes of one session, so the level is
#                     also given to this session's autogroup: start the script
#                     with setsid so that only the benchmark gets it.
#
# Needs root (kubeadm writes to /etc/kubernetes: it runs in a private mount
# namespace where a temporary folder is bound there, as tests/support/e2e.rs
# does) and a release build: cargo build --release --bin kubelift.
# Run by hand; timings never go into tests.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-9}
kubelift=$(realpath "${2:-target/release/kubelift}")
kubeadm=${KUBELIFT_E2E_BIN:?set KUBELIFT_E2E_BIN to the folder with kubeadm v1.24}/kubeadm
base=${BENCH_DIR:-/tmp}
nice_level=${BENCH_NICE:-0}
config=$PWD/tests/fixtures/kubeadm-v1.24/config/input-kubeadm.yaml
skip=preflight,kubelet-start,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon

[ -x "$kubelift" ] || { echo "no $kubelift: cargo build --release --bin kubelift" >&2; exit 2; }
[ -x "$kubeadm" ] || { echo "no $kubeadm: set KUBELIFT_E2E_BIN" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (kubeadm needs a private mount namespace)" >&2; exit 2; }
mkdir -p /etc/kubernetes /var/lib/etcd   # mount points; nothing is written to them
if [ "$nice_level" != 0 ] && [ -w /proc/self/autogroup ]; then
  echo "$nice_level" >/proc/self/autogroup
fi

# "<wall ms> <cpu ms>" of a command (GNU time; children included).
# Wall from the clock in ns (GNU time's is in 10 ms steps), CPU from GNU time.
timed() {
  local out t0 t1; out=$(mktemp)
  t0=$(date +%s%N)
  nice -n "$nice_level" /usr/bin/time -f '%U %S' -o "$out" "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  awk -v wall=$(( (t1 - t0) / 1000000 )) '{ printf "%d %d\n", wall, ($1 + $2) * 1000 }' "$out"
  rm -f "$out"
}

run_kubelift() { # $1: algorithm
  local root; root=$(mktemp -d -p "$base")
  timed "$kubelift" init --non-interactive --root "$root" --config "$config" --skip-phases "$skip" --encryption-algorithm "$1"
  [ -f "$root/etc/kubernetes/manifests/etcd.yaml" ] || { echo "kubelift wrote no etcd.yaml" >&2; exit 1; }
  rm -rf "$root"
}

run_kubeadm() {
  local root; root=$(mktemp -d -p "$base")
  mkdir -p "$root/etc/kubernetes" "$root/var/lib/etcd"
  timed unshare --mount --propagation private sh -c '
    set -e
    mount --bind "$1/etc/kubernetes" /etc/kubernetes
    mount --bind "$1/var/lib/etcd" /var/lib/etcd
    for phase in "certs all" "kubeconfig all" "etcd local" "control-plane all"; do
      "$2" init phase $phase --config "$3"
    done' sh "$root" "$kubeadm" "$config"
  [ -f "$root/etc/kubernetes/manifests/etcd.yaml" ] || { echo "kubeadm wrote no etcd.yaml" >&2; exit 1; }
  rm -rf "$root"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

work=$(mktemp -d)
echo "# $(date -u +%FT%TZ), $(nproc) cores, roots in $base, nice $nice_level ($(cat /proc/self/autogroup 2>/dev/null || echo no autogroup)); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# round  kubeadm wall/cpu ms  kubelift RSA-2048 wall/cpu ms  kubelift ECDSA-P256 wall/cpu ms"
for i in $(seq 1 "$rounds"); do
  read -r aw ac < <(run_kubeadm)
  read -r rw rc < <(run_kubelift RSA-2048)
  read -r ew ec < <(run_kubelift ECDSA-P256)
  echo "$aw" >>"$work/aw"; echo "$ac" >>"$work/ac"; echo "$rw" >>"$work/rw"; echo "$rc" >>"$work/rc"; echo "$ew" >>"$work/ew"; echo "$ec" >>"$work/ec"
  printf '%7s  %19s  %28s  %30s\n' "$i" "$aw/$ac" "$rw/$rc" "$ew/$ec"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in aw ac rw rc ew ec; do eval "$f=\$(median <\"\$work/$f\")"; done
echo "median wall: kubeadm ${aw} ms, kubelift RSA-2048 ${rw} ms, kubelift ECDSA-P256 ${ew} ms"
echo "median cpu:  kubeadm ${ac} ms, kubelift RSA-2048 ${rc} ms, kubelift ECDSA-P256 ${ec} ms"
awk -v a="$aw" -v r="$rw" 'BEGIN { printf "wall ratio kubelift RSA-2048 / kubeadm = %.2f (target <= 0.25)\n", r / a }'
rm -rf "$work"

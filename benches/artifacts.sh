#!/usr/bin/env bash
# Wall time to generate every artifact of the reference config: the certs,
# kubeconfig, control-plane and etcd/local phases of init, by kubelift
# (RSA-2048 and ECDSA-P256) and by real kubeadm v1.24 doing the same, side by
# side: each round runs the three one after the other, so machine load hits
# all of them alike. Prints every round, then medians.
#
#   sudo benches/artifacts.sh [ROUNDS] [KUBELIFT_BINARY]
#
# Needs root (kubeadm writes to /etc/kubernetes: it runs in a private mount
# namespace where a temporary folder is bound there, as tests/support/e2e.rs
# does), KUBELIFT_E2E_BIN (default /work/e2e-bin) with kubeadm, and a release
# build: cargo build --release --bin kubelift. Run by hand; never in tests.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-9}
kubelift=${2:-target/release/kubelift}
kubeadm=${KUBELIFT_E2E_BIN:-/work/e2e-bin}/kubeadm
config=$PWD/tests/fixtures/kubeadm-v1.24/config/input-kubeadm.yaml
skip=preflight,kubelet-start,wait-control-plane,upload-config,upload-certs,mark-control-plane,bootstrap-token,kubelet-finalize,addon

[ -x "$kubelift" ] || { echo "no $kubelift: cargo build --release --bin kubelift" >&2; exit 2; }
[ -x "$kubeadm" ] || { echo "no $kubeadm: set KUBELIFT_E2E_BIN" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run as root (kubeadm needs a private mount namespace)" >&2; exit 2; }
mkdir -p /etc/kubernetes /var/lib/etcd   # mount points; nothing is written to them

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

run_kubelift() { # $1: algorithm
  local root; root=$(mktemp -d)
  local t0; t0=$(now_ms)
  "$kubelift" init --non-interactive --root "$root" --config "$config" --skip-phases "$skip" \
    --encryption-algorithm "$1" >/dev/null 2>&1
  echo $(( $(now_ms) - t0 ))
  [ -f "$root/etc/kubernetes/manifests/etcd.yaml" ] || { echo "kubelift wrote no etcd.yaml" >&2; exit 1; }
  rm -rf "$root"
}

run_kubeadm() {
  local root; root=$(mktemp -d)
  mkdir -p "$root/etc/kubernetes" "$root/var/lib/etcd"
  local t0; t0=$(now_ms)
  unshare --mount --propagation private sh -c '
    set -e
    mount --bind "$1/etc/kubernetes" /etc/kubernetes
    mount --bind "$1/var/lib/etcd" /var/lib/etcd
    for phase in "certs all" "kubeconfig all" "etcd local" "control-plane all"; do
      "$2" init phase $phase --config "$3" >/dev/null 2>&1
    done' sh "$root" "$kubeadm" "$config"
  echo $(( $(now_ms) - t0 ))
  [ -f "$root/etc/kubernetes/manifests/etcd.yaml" ] || { echo "kubeadm wrote no etcd.yaml" >&2; exit 1; }
  rm -rf "$root"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# round  kubeadm_ms  kubelift_rsa2048_ms  kubelift_ecdsa_p256_ms"
: >/tmp/bench-kubeadm; : >/tmp/bench-rsa; : >/tmp/bench-ecdsa
for i in $(seq 1 "$rounds"); do
  a=$(run_kubeadm); r=$(run_kubelift RSA-2048); e=$(run_kubelift ECDSA-P256)
  echo "$a" >>/tmp/bench-kubeadm; echo "$r" >>/tmp/bench-rsa; echo "$e" >>/tmp/bench-ecdsa
  printf '%7s  %10s  %19s  %22s\n' "$i" "$a" "$r" "$e"
done
ka=$(median </tmp/bench-kubeadm); kr=$(median </tmp/bench-rsa); ke=$(median </tmp/bench-ecdsa)
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "median  kubeadm ${ka} ms  kubelift RSA-2048 ${kr} ms  kubelift ECDSA-P256 ${ke} ms"
awk -v a="$ka" -v r="$kr" 'BEGIN { printf "kubelift RSA-2048 / kubeadm = %.3f (target <= 0.25)\n", r / a }'

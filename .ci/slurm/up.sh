#!/usr/bin/env bash
# up.sh brings up a one-machine Slurm cluster (controller and compute node on
# 127.0.0.1) for branchspec's CI, as root, without systemd. It is idempotent:
# it installs what is missing, writes /etc/slurm/slurm.conf from
# slurm.conf.in, starts munged, slurmctld and slurmd only when they are not
# running, and waits until the node is idle.
#
# It refuses to overwrite a slurm.conf it did not write. The daemons' state,
# logs and pid files live in $SLURM_CI_STATE (default
# /var/lib/branchspec-ci-slurm); down.sh stops them.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
state="${SLURM_CI_STATE:-/var/lib/branchspec-ci-slurm}"
conf=/etc/slurm/slurm.conf
marker="ClusterName=branchspec-ci"
wait_s="${SLURM_CI_WAIT:-90}"

log() { echo "slurm-up: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts daemons)"

# 1. Packages.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
	! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	log "installing slurmctld slurmd slurm-client munge"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

# 2. Configuration.
host="$(hostname -s)"
node="$(slurmd -C | head -n 1)"
case "$node" in
NodeName=*) ;;
*) die "slurmd -C gave no NodeName line: $node" ;;
esac
mkdir -p /etc/slurm "$state/ctld" "$state/d"
if [ -e "$conf" ] && ! grep -q "^$marker\$" "$conf"; then
	die "$conf exists and was not written by this script; not touching it"
fi
tmp="$(mktemp)"
sed -e "s|@HOST@|$host|g" -e "s|@NODE@|$node|" -e "s|@STATE@|$state|g" "$here/slurm.conf.in" >"$tmp"
changed=0
if ! cmp -s "$tmp" "$conf" 2>/dev/null; then
	install -m 0644 "$tmp" "$conf"
	changed=1
	log "wrote $conf"
fi
rm -f "$tmp"
chown slurm:slurm "$state" "$state/ctld"
chmod 0755 "$state"

# 3. munge: a key, the run directory, the daemon as the munge user.
if [ ! -s /etc/munge/munge.key ]; then
	log "generating the munge key"
	mkdir -p /etc/munge
	dd if=/dev/urandom of=/etc/munge/munge.key bs=128 count=1 status=none
	chown munge:munge /etc/munge/munge.key
	chmod 0400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
chmod 0755 /run/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
	log "starting munged"
	runuser -u munge -- /usr/sbin/munged
	for _ in $(seq 50); do
		munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
		sleep 0.1
	done
	munge -n | unmunge >/dev/null || die "munged does not answer"
fi

# running PIDFILE: whether the daemon whose pid PIDFILE holds is alive.
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# 4. The controller, then the node daemon; a changed config restarts neither
# but is read again by 'scontrol reconfigure'.
if ! running "$state/slurmctld.pid"; then
	log "starting slurmctld"
	slurmctld -i
elif [ "$changed" = 1 ]; then
	scontrol reconfigure
fi
for _ in $(seq "$wait_s"); do
	scontrol ping 2>/dev/null | grep -q UP && break
	sleep 1
done
scontrol ping | grep -q UP || die "slurmctld is not up; see $state/slurmctld.log"
if ! running "$state/slurmd.pid"; then
	log "starting slurmd"
	slurmd
fi

# 5. Wait for the node to be idle (or busy with earlier jobs).
for _ in $(seq "$wait_s"); do
	st="$(sinfo -h -n "$host" -o %t 2>/dev/null || true)"
	case "$st" in
	idle | mix | alloc) break ;;
	down* | drain* | drng*)
		# A node that was down (a previous run's daemons died) comes back.
		scontrol update nodename="$host" state=resume 2>/dev/null || true
		;;
	esac
	sleep 1
done
st="$(sinfo -h -n "$host" -o %t)"
case "$st" in
idle | mix | alloc) log "node $host is $st" ;;
*) die "node $host is '$st' after ${wait_s}s; see $state/slurmd.log and $state/slurmctld.log" ;;
esac

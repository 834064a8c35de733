#!/usr/bin/env bash
# A real one-node Slurm cluster on this machine, for `make test-slurm` (tests/test_slurm.py) and CI.
#
#   .ci/slurm-cluster.sh start    install slurm-wlm and munge if missing, start munged, slurmctld, slurmd
#   .ci/slurm-cluster.sh status   sinfo of the cluster (exit 1 when it is not running)
#   .ci/slurm-cluster.sh stop     end the daemons this script started, by the PIDs they recorded
#   .ci/slurm-cluster.sh conf     print the path of slurm.conf (clients need SLURM_CONF=that path)
#
# Works without systemd (CI machines and containers have none): the daemons are started by hand.
# Config, state, logs and PID files live in one private directory, $BAROMETER_SLURM_DIR (default
# ~/.local/state/barometer-slurm), never in the repository or /etc/slurm. `start` is idempotent.
# The cluster avoids what a container lacks: no cgroups (proctrack/linuxproc, task/none), no
# accounting database (so Snakemake's Slurm executor must poll with squeue, see workflow/profiles/slurm),
# and no name resolution (the node and the controller are addressed as 127.0.0.1).
set -euo pipefail

DIR=${BAROMETER_SLURM_DIR:-${XDG_STATE_HOME:-${HOME:-/tmp}/.local/state}/barometer-slurm}
CONF=$DIR/slurm.conf
export SLURM_CONF=$CONF
NODE=$(hostname -s)
SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo)

log() { echo "slurm-cluster: $*" >&2; }

# True when the process recorded in pid file $1 runs, and is $2 (not a later process with a reused PID).
# ps, not kill -0: a user cannot signal the root-owned daemons, but can see them.
alive() { [ -s "$1" ] && [ "$(ps -p "$(cat "$1")" -o comm= 2>/dev/null)" = "$2" ]; }

as_root() { "${SUDO[@]}" "$@"; }

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    command -v munged >/dev/null || missing+=(munge)
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        # the packages' own services are not started (no systemd); this script starts the daemons
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
    if munge_works; then
        return
    fi
    # Debian's munged runs as the munge user and keeps its socket in /run/munge, which only systemd's
    # tmpfiles would create
    as_root install -d -o munge -g munge -m 0755 /run/munge
    as_root install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
    if ! as_root test -s /etc/munge/munge.key; then
        as_root runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
    fi
    as_root runuser -u munge -- munged
    touch "$DIR/munged.started"  # so that `stop` ends it (and only a munged this script started)
    for _ in $(seq 50); do munge_works && return; sleep 0.1; done
    log "munged did not start; see /var/log/munge/munged.log"
    exit 1
}

write_conf() {
    # CPUs and memory as slurmd itself detects them on this machine
    local detected cpus memory
    detected=$(slurmd -C | head -1)
    cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$detected")
    memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$detected")
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
    cat >"$CONF.new" <<EOF
# Written by .ci/slurm-cluster.sh: a one-node test cluster without systemd, cgroups or accounting.
ClusterName=barometer
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
# slurmd fetches this file from slurmctld and caches it under /run/slurm/conf, where commands on the
# node find it without SLURM_CONF: srun inside a job needs that, as Snakemake's job step drops
# every SLURM_* variable but the job's own
SlurmctldParameters=enable_configless
SwitchType=switch/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
# squeue lists a finished job for this long (s): Snakemake's executor polls with squeue and needs at
# least 3 x its first status-check interval, and tests/test_slurm.py reads every job's record after the run
MinJobAge=3600
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$CONF.new" "$CONF"
}

wait_for_node() {
    local state=""
    for _ in $(seq 200); do
        state=$(sinfo --noheader --nodes="$NODE" --format=%T 2>/dev/null | head -1 || true)
        case $state in
            idle|mixed|allocated|completing) return ;;
        esac
        sleep 0.3
    done
    log "node $NODE is not up (state: ${state:-none}); logs in $DIR/log"
    exit 1
}

start() {
    install_packages
    mkdir -p "$DIR"
    start_munge
    if alive "$DIR/slurmctld.pid" slurmctld && alive "$DIR/slurmd.pid" slurmd; then
        log "already running ($CONF)"
    else
        alive "$DIR/slurmctld.pid" slurmctld || alive "$DIR/slurmd.pid" slurmd || write_conf
        # -i: ignore state left by an earlier cluster in this directory (no jobs survive a stop)
        alive "$DIR/slurmctld.pid" slurmctld || as_root env SLURM_CONF="$CONF" slurmctld -i
        alive "$DIR/slurmd.pid" slurmd || as_root slurmd --conf-server 127.0.0.1
    fi
    wait_for_node
    log "up: export SLURM_CONF=$CONF"
    sinfo
}

stop_pid() {
    local name=$1 file=$2 pid
    alive "$file" "$name" || return 0
    pid=$(cat "$file")
    as_root kill "$pid"
    for _ in $(seq 100); do ps -p "$pid" >/dev/null || return 0; sleep 0.1; done
    log "$name ($pid) did not stop on SIGTERM; killing it"
    as_root kill -9 "$pid" 2>/dev/null || true
}

stop() {
    stop_pid slurmd "$DIR/slurmd.pid"
    stop_pid slurmctld "$DIR/slurmctld.pid"
    if [ -e "$DIR/munged.started" ]; then
        stop_pid munged /run/munge/munged.pid
        rm -f "$DIR/munged.started"
    fi
    log "stopped"
}

status() {
    if ! alive "$DIR/slurmctld.pid" slurmctld || ! alive "$DIR/slurmd.pid" slurmd; then
        log "not running (no live daemons recorded in $DIR)"
        exit 1
    fi
    sinfo
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) status ;;
    conf) echo "$CONF" ;;
    *) echo "usage: $0 start|stop|status|conf" >&2; exit 2 ;;
esac

#!/bin/sh
# A throw-away one-node Slurm cluster on localhost, for the tests of
# `prefrl sweep --slurm` (and for trying it out): munged with its own key,
# slurmctld and slurmd with a slurm.conf written into DIR, every state,
# spool, log and pid file inside DIR; no cgroups (proctrack/linuxproc,
# task/none).  Runs as root (slurmd starts jobs as their user).
#
# Usage: scripts/slurm-cluster.sh install      Debian's slurm-wlm and munge, when missing
#        scripts/slurm-cluster.sh start DIR    install, start; prints the SLURM_CONF line
#        scripts/slurm-cluster.sh stop DIR     stop the daemons started in DIR
# Then: SLURM_CONF=DIR/slurm.conf sbatch/squeue/prefrl sweep --slurm ...
# Exit status 77 (the Automake "skip" code) when the packages are missing and
# cannot be installed (not root, no apt-get), with the reason on stderr.
set -eu

die() { echo "slurm-cluster: $*" >&2; exit 1; }

install_packages() {
    # the packages' own services are not wanted: this script starts its daemons
    "$(dirname "$0")/install-packages.sh" slurm-cluster slurm-wlm munge || {
        status=$?
        [ $status -eq 77 ] && echo "slurm-cluster: SKIP: no Slurm here" >&2
        exit $status
    }
}

# a TCP port nobody listens on, from $1 upwards (state 0A = LISTEN in /proc/net/tcp)
free_port() {
    port=$1
    while [ "$port" -lt $(($1 + 200)) ]; do
        hex=$(printf '%04X' "$port")
        if ! grep -q ":$hex [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
            echo "$port"
            return 0
        fi
        port=$((port + 1))
    done
    die "no free TCP port in $1..$(($1 + 199))"
}

stop_pid() { # pid file
    [ -f "$1" ] || return 0
    pid=$(cat "$1" 2>/dev/null || true)
    if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

stop() {
    dir=$1
    [ -d "$dir" ] || return 0
    # jobs first, so no task outlives the cluster
    if [ -f "$dir/slurm.conf" ] && [ -f "$dir/slurmctld.pid" ]; then
        SLURM_CONF="$dir/slurm.conf" scancel --quiet --user="$(id -un)" 2>/dev/null || true
        sleep 1
    fi
    stop_pid "$dir/slurmd.pid"
    stop_pid "$dir/slurmctld.pid"
    stop_pid "$dir/munge/munged.pid"
}

start() {
    install_packages
    [ "$(id -u)" -eq 0 ] || { echo "slurm-cluster: SKIP: the test cluster runs as root" >&2; exit 77; }
    mkdir -p "$1"
    dir=$(cd "$1" && pwd)
    stop "$dir" # leftovers of an earlier run in the same directory
    rm -rf "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
    mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
    chmod 700 "$dir/munge"
    # munge: a fresh key; its own socket, so a system munged is neither needed nor disturbed
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 400 "$dir/munge/munge.key"
    /usr/sbin/munged --force --key-file="$dir/munge/munge.key" \
        --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
        --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" ||
        die "munged did not start (see $dir/munge/munged.log)"

    ctld_port=$(free_port "${PREFRL_SLURM_PORT:-16817}")
    slurmd_port=$(free_port $((ctld_port + 1)))
    host=$(hostname -s 2>/dev/null || hostname)
    mem=$(awk '/^MemTotal:/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
    cat >"$dir/slurm.conf" <<EOF
# one-node test cluster written by scripts/slurm-cluster.sh
ClusterName=prefrltest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
KillWait=30
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"
    /usr/sbin/slurmctld -i || die "slurmctld did not start (see $dir/log/slurmctld.log)"
    /usr/sbin/slurmd -N localhost || die "slurmd did not start (see $dir/log/slurmd.log)"
    i=0
    until sinfo -h -o %t 2>/dev/null | grep -q -E '^(idle|mix|alloc)'; do
        i=$((i + 1))
        if [ $i -gt 150 ]; then
            tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
            stop "$dir"
            die "the node did not come up within 30 s (logs in $dir/log)"
        fi
        sleep 0.2
    done
    echo "SLURM_CONF=$dir/slurm.conf"
}

case "${1:-}" in
install) install_packages ;;
start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$(cd "$2" 2>/dev/null && pwd || echo "$2")" ;;
*) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac

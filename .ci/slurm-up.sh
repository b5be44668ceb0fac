#!/usr/bin/env bash
# Bring up a one-node Slurm cluster on loopback: no systemd, no cgroups, no Docker.
# Debian 12 (bookworm), run as root. Idempotent: safe to re-run while it is up.
#   SLURM_CI_DIR=/tmp/slurm-ci   state, logs and pid files
#   SLURM_CI_ACCOUNTING=1        also MariaDB + slurmdbd so that `sacct` works
set -euo pipefail
SLURM_CI_DIR=${SLURM_CI_DIR:-/tmp/slurm-ci}
ACCT=${SLURM_CI_ACCOUNTING:-0}
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s)
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# 1. No init system here: stop dpkg's postinst from trying to start services.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
fi

# 2. Install: slurm-wlm+munge = 9 packages, 3.8 MB download, 14 MB disk, ~10 s.
#    Accounting adds mariadb-server+slurmdbd: 22 packages, ~200 MB disk, ~20 s.
pkgs="slurm-wlm munge"; bins="slurmctld slurmd munged sbatch"
if [ "$ACCT" = 1 ]; then pkgs="$pkgs slurmdbd mariadb-server"; bins="$bins slurmdbd mariadbd"; fi
for b in $bins; do
  if ! command -v "$b" >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
    break
  fi
done

# 3. Munge key (Debian's postinst normally creates one).
[ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
chown munge:munge /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
mkdir -p "$SLURM_CI_DIR"/{state,spool,log} /run/munge
chown munge:munge /run/munge

# 4. slurm.conf: one node called "localhost" on 127.0.0.1 with all CPUs and 90% of RAM.
CPUS=$(nproc)
MEM_MB=$(awk '/MemTotal/ {print int($2/1024*0.9)}' /proc/meminfo)
if [ "$ACCT" = 1 ]; then
  ACCT_CONF="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux"
else
  ACCT_CONF="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=ci
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
# a requeued job waits cred_expire+1 s before it may run again (default 120): short in CI
AuthInfo=cred_expire=15
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
$ACCT_CONF
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
# start jobs as soon as a CPU frees up (20 no-op tasks on 2 CPUs: 24 s -> 7-10 s)
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# finished jobs stay visible to squeue/scontrol for an hour
MinJobAge=3600
# reject at submit time what the node can never run (else it pends forever)
EnforcePartLimits=ALL
SlurmctldPidFile=$SLURM_CI_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_CI_DIR/slurmd.pid
StateSaveLocation=$SLURM_CI_DIR/state
SlurmdSpoolDir=$SLURM_CI_DIR/spool
SlurmctldLogFile=$SLURM_CI_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_CI_DIR/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# 5. munged (forks, pid file in /run/munge).
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
fi
cp /run/munge/munged.pid "$SLURM_CI_DIR/munged.pid"

# 6. Optional accounting: MariaDB on a unix socket only, then slurmdbd on 127.0.0.1:6819.
if [ "$ACCT" = 1 ]; then
  mkdir -p "$SLURM_CI_DIR/mysql" /run/mysqld && chown mysql:mysql "$SLURM_CI_DIR/mysql" /run/mysqld
  if ! mariadb -e 'select 1' >/dev/null 2>&1; then
    mariadbd --user=mysql --skip-networking --socket=/run/mysqld/mysqld.sock \
      --pid-file="$SLURM_CI_DIR/mysql/mariadb.pid" --log-error="$SLURM_CI_DIR/mysql/mariadb.err" \
      </dev/null >/dev/null 2>&1 &
    echo $! > "$SLURM_CI_DIR/mariadb.pid"
    for _ in $(seq 1 120); do mariadb -e 'select 1' >/dev/null 2>&1 && break; sleep 0.25; done
  fi
  mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'ci-only';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > /etc/slurm/slurmdbd.conf <<CONF
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=ci-only
StorageLoc=slurm_acct_db
PidFile=$SLURM_CI_DIR/slurmdbd.pid
LogFile=$SLURM_CI_DIR/log/slurmdbd.log
CONF
  chmod 600 /etc/slurm/slurmdbd.conf
  alive "$SLURM_CI_DIR/slurmdbd.pid" || /usr/sbin/slurmdbd
  for _ in $(seq 1 120); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.25; done
  sacctmgr -n show cluster format=cluster | grep -qw ci || sacctmgr -i add cluster ci >/dev/null
fi

# 7. slurmctld (-c: start with an empty job queue) and slurmd; both fork and write pid files.
if alive "$SLURM_CI_DIR/slurmctld.pid"; then scontrol reconfigure; else /usr/sbin/slurmctld -c; fi
alive "$SLURM_CI_DIR/slurmd.pid" || /usr/sbin/slurmd -N localhost

# 8. Wait until the node accepts work.
state=
for _ in $(seq 1 120); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$state" in idle|mixed|allocated|completing) break ;; esac
  sleep 0.5
done
case "$state" in idle|mixed|allocated|completing) ;; *)
  echo "slurm-up: node never became idle (state='$state')" >&2
  tail -n 30 "$SLURM_CI_DIR"/log/*.log >&2 || true
  exit 1 ;;
esac
echo "slurm-up: ready in $(( $(date +%s) - t0 ))s (cpus=$CPUS mem=${MEM_MB}MB accounting=$ACCT)"

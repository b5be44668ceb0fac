#!/usr/bin/env bash
# Stop what slurm-up.sh started, by PID from its pid files, in reverse order.
SLURM_CI_DIR=${SLURM_CI_DIR:-/tmp/slurm-ci}
for f in slurmd slurmctld slurmdbd mariadb munged; do
  p="$SLURM_CI_DIR/$f.pid"; [ -s "$p" ] || continue
  pid=$(cat "$p")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$p"
done
echo "slurm-down: stopped"

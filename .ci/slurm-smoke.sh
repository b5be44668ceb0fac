#!/usr/bin/env bash
# Smoke test of the local Slurm: plain job, array, afterok, aftercorr, failure
# propagation, exit codes, submit-time rejection. Prints "N passed, M failed".
set -euo pipefail
W=$(mktemp -d /tmp/slurm-smoke.XXXX)
wait_jobs() { for _ in $(seq 1 240); do [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0; sleep 0.5; done; return 1; }
state() { squeue -h --states=all -r -j "$1" -o %T | sort -u | tr '\n' ' '; }
sb() { sbatch --parsable -D "$W" --kill-on-invalid-dep=yes "$@"; }
J=$(sb -o hello-%j.out --wrap 'hostname')
A=$(sb -o arr-%A_%a.out --array=0-3 --wrap 'echo task=$SLURM_ARRAY_TASK_ID > m-$SLURM_ARRAY_TASK_ID')
D=$(sb -o dep-%j.out --dependency=afterok:$A --wrap 'cat m-* | wc -l')
C=$(sb -o /dev/null --array=0-3 --dependency=aftercorr:$A --wrap 'test -s m-$SLURM_ARRAY_TASK_ID')
F=$(sb -o /dev/null --wrap 'exit 3')
N=$(sb -o /dev/null --dependency=afterok:$F --wrap 'true')
wait_jobs "$J,$A,$D,$C,$F,$N"
pass=0; fail=0
check() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: got '$2' want '$3'"; fi; }
check hello     "$(state $J)" "COMPLETED "
check array     "$(state $A)" "COMPLETED "
check array-out "$(cat "$W"/dep-$D.out)" "4"
check afterok   "$(state $D)" "COMPLETED "
check aftercorr "$(state $C)" "COMPLETED "
check failed    "$(state $F)" "FAILED "
check exitcode  "$(scontrol show job -o $F | grep -o 'ExitCode=[0-9:]*')" "ExitCode=3:0"
check never-run "$(state $N)" "CANCELLED "
check rejected  "$(sbatch --parsable -c 999 --wrap true >/dev/null 2>&1 && echo accepted || echo rejected)" "rejected"
if [ "${SLURM_CI_ACCOUNTING:-0}" = 1 ]; then
  sleep 2   # slurmctld hands finished jobs to slurmdbd asynchronously
  check sacct "$(sacct -n -X -P -j $F -o State,ExitCode)" "FAILED|3:0"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

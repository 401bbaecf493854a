#!/usr/bin/env bats
# mlp train --backend slurm against a real single-node Slurm (munged,
# slurmctld, slurmd from Debian's slurm-wlm and munge), started here on
# 127.0.0.1 and stopped by PID. Skipped without them or without root
# (munged and slurmd run as root in this setup). setup_file never skips
# (bats reports a skip there as a failed setup_file): it leaves SLURM_SKIP
# set, and each test skips in setup.

load helper

setup_file() {
	export SLURM_SKIP=
	if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
		SLURM_SKIP="slurm-wlm and munge are not installed"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		SLURM_SKIP="the test cluster runs as root"
		return 0
	fi
	S="$BATS_FILE_TMPDIR/slurm"
	mkdir -p "$S/state" "$S/spool" "$S/munge"
	port=$((16000 + $$ % 20000))
	dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 2>/dev/null
	chmod 400 "$S/munge/munge.key"
	cat > "$S/slurm.conf" <<CONF
ClusterName=mlptest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$S/munge/munge.sock
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
MinJobAge=600
NodeName=localhost CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
	munged --force -S "$S/munge/munge.sock" --key-file "$S/munge/munge.key" \
	    --pid-file "$S/munge/munged.pid" --log-file "$S/munge/munged.log" \
	    --seed-file "$S/munge/seed"
	export SLURM_CONF="$S/slurm.conf"
	slurmctld -D -f "$SLURM_CONF" > "$S/ctld.out" 2>&1 &
	echo $! > "$S/ctld.pid"
	slurmd -D -N localhost -f "$SLURM_CONF" > "$S/d.out" 2>&1 &
	echo $! > "$S/d.pid"
	for _ in $(seq 1 100); do
		sinfo -h -o %T 2>/dev/null | grep -q idle && return 0
		sleep 0.1
	done
	echo "the test cluster did not come up" >&2
	cat "$S"/*.out >&2
	return 1
}

teardown_file() {
	S="$BATS_FILE_TMPDIR/slurm"
	pids=
	# no job left behind: its slurmstepd outlives slurmd otherwise
	if [ -f "$S/d.pid" ]; then
		scancel --user=root 2>/dev/null
		for _ in $(seq 1 100); do
			[ -z "$(squeue -h 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
	for f in d.pid ctld.pid munge/munged.pid; do
		[ -f "$S/$f" ] || continue
		pid=$(cat "$S/$f")
		kill "$pid" 2>/dev/null && pids="$pids $pid"
	done
	# slurmctld saves its state as it stops: wait, so that bats can
	# remove the directory after it
	for pid in $pids; do
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
	true
}

setup() {
	[ -z "$SLURM_SKIP" ] || skip "$SLURM_SKIP"
	export SLURM_CONF="$BATS_FILE_TMPDIR/slurm/slurm.conf"
	setup_repo
	cp "$BATS_TEST_DIRNAME/../share/examples/train/churn.csv" .
}

# the run's own status (not its Slurm job's)
run_status() {
	mlp track show "$1" --json | sed 's/.*"status":"\([A-Z]*\)".*/\1/'
}

# waits until the run is no longer SCHEDULED or RUNNING
wait_run() {
	for _ in $(seq 1 300); do
		s=$(run_status "$1")
		case $s in RUNNING|SCHEDULED) sleep 0.1 ;; *) echo "$s"; return 0 ;; esac
	done
	echo TIMEOUT
}

@test "a submitted run trains on the node and finishes" {
	run mlp train --backend slurm --data churn.csv --target churned \
	    -p rounds=5 --register churn --json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"status":"SCHEDULED"'* ]]
	r=$(printf '%s' "$output" | sed 's/.*"run_id":"\([0-9a-f]*\)".*/\1/')
	[ "$(wait_run "$r")" = FINISHED ]
	run mlp track show "$r" --json
	[[ "$output" == *'"mlp.slurm.job_id":"'* ]]
	[[ "$output" == *'"valid_'* || "$output" == *'"train_logloss"'* ]]
	run mlp train status "$r"
	[ "$status" -eq 0 ]
	[[ "$output" == *"FINISHED, Slurm job "*" COMPLETED"* ]]
	run mlp train logs "$r"
	[ "$status" -eq 0 ]
	run mlp register show models:/churn/1
	[ "$status" -eq 0 ]
}

@test "cancel: the job goes, the run ends KILLED" {
	run mlp train --backend slurm --cmd 'sleep 120'
	[ "$status" -eq 0 ]
	r=${lines[${#lines[@]}-1]}
	# wait for the run itself to start on the node (the job is RUNNING
	# a moment before the mlp inside it has marked the run RUNNING)
	for _ in $(seq 1 600); do
		[ "$(run_status "$r")" = SCHEDULED ] || break
		sleep 0.1
	done
	[ "$(run_status "$r")" = RUNNING ]
	# without RUN: every unfinished Slurm run
	run mlp train status
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "RUN"*"STATUS"*"JOB"*"STATE"* ]]
	[[ "${lines[1]}" == "${r:0:8}  "* ]]
	run mlp train status --json
	[[ "$output" == '[{"run_id":"'"$r"'","status":"'* ]]
	run mlp train cancel "$r"
	[ "$status" -eq 0 ]
	[ "$(run_status "$r")" = KILLED ]
	run mlp train status --json
	[ "$output" = "[]" ]
}

@test "a job that fails takes its run with it" {
	run mlp train --backend slurm --cmd 'sh -c "exit 4"'
	[ "$status" -eq 0 ]
	r=${lines[${#lines[@]}-1]}
	s=$(wait_run "$r")
	echo "state: $s; $(mlp train status "$r")"
	[ "$s" = FAILED ]
}

@test "slurm bad input: an sbatch option it refuses, a run not submitted" {
	run mlp train --backend slurm --data churn.csv --target churned \
	    --sbatch-arg=--partition=nope
	[ "$status" -eq 1 ]
	[[ "$output" == *"sbatch failed"* ]]
	run mlp track runs --json
	[[ "$output" == *'"status":"FAILED"'* ]]
	r=$(mlp train --data churn.csv --target churned -p rounds=2 | sed -n 's|^runs:/\([0-9a-f]*\)/.*|\1|p')
	run mlp train status "$r"
	[ "$status" -ne 0 ]
	[[ "$output" == *"was not submitted to Slurm"* ]]
	run mlp train --backend nowhere
	[ "$status" -eq 2 ]
}

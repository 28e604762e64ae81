# tests/hostile/lib.sh: shell helpers shared by tests/hostile/run,
# scripts/valgrind-check, bench/run and bench/loadtest (sourced, bash).
#
# Every process a script starts goes through rel_track PID so that
# rel_cleanup stops exactly those (by PID, never by name).  Only loopback
# is ever touched.

REL_PIDS=()
REL_TMP=${REL_TMP:-}

# rel_tmpdir: make the script's scratch directory ($REL_TMP).
rel_tmpdir()
{
	REL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtp-ports-rel.XXXXXX")
}

rel_track()
{
	REL_PIDS+=("$1")
}

# rel_cleanup: TERM what we started (children first), then KILL what is
# left after a second, and remove the scratch directory.
rel_cleanup()
{
	local p i
	for p in "${REL_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for p in "${REL_PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${REL_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	REL_PIDS=()
	[ -n "$REL_TMP" ] && [ -z "${REL_KEEP:-}" ] && rm -rf "$REL_TMP"
	return 0
}

# rel_now_ms: monotonic-enough wall clock in milliseconds.
rel_now_ms()
{
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}

# rel_free_port: print a TCP port on 127.0.0.1 nobody uses now (from
# /proc/net/tcp{,6}: no iproute2 needed).
rel_free_port()
{
	local p n hex
	for n in $(seq 1 50); do
		p=$((20000 + RANDOM % 40000))
		hex=$(printf ':%04X ' "$p")
		if ! cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		    awk '{ print $2 " " }' | grep -q "$hex"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# rel_spawn NAME CMD ARGS...: start CMD with its stdin and stdout on FIFOs
# we hold (so it dies with us when its stdin ends), tracked; sets
# SPAWN_PID, SPAWN_IN (fd to write to it) and SPAWN_OUT (fd to read from
# it).  No coproc: bash allows one at a time.
rel_spawn()
{
	local name=$1
	shift
	rm -f "$REL_TMP/$name.in" "$REL_TMP/$name.out"
	mkfifo "$REL_TMP/$name.in" "$REL_TMP/$name.out" || return 1
	"$@" <"$REL_TMP/$name.in" >"$REL_TMP/$name.out" \
	    2>"$REL_TMP/$name.err" &
	SPAWN_PID=$!
	rel_track "$SPAWN_PID"
	exec {SPAWN_IN}>"$REL_TMP/$name.in"
	exec {SPAWN_OUT}<"$REL_TMP/$name.out"
}

# rel_fake_start TLSDIR [fakesmtp args...]: start fakesmtp (it dies with
# us), wait for READY, and fill the associative array
# FAKE_PORT[scenario]=port.  FAKE_PID is its PID.
declare -gA FAKE_PORT
rel_fake_start()
{
	local tlsdir=$1 line name port
	shift
	mkdir -p "$tlsdir"
	rel_spawn fakesmtp ${REL_FAKE_WRAP:-} "$SMTPPROBE_BUILD/fakesmtp" \
	    --tls-dir "$tlsdir" "$@" || return 1
	FAKE_PID=$SPAWN_PID
	FAKE_IN=$SPAWN_IN
	FAKE_OUT=$SPAWN_OUT
	while :; do
		if ! read -r -t 30 -u "$FAKE_OUT" line; then
			echo "fakesmtp did not become ready:" >&2
			cat "$REL_TMP/fakesmtp.err" >&2
			return 1
		fi
		[ "$line" = READY ] && break
		name=${line% *}
		port=${line##* }
		FAKE_PORT[$name]=$port
	done
	return 0
}

# rel_wait_http URL [SECONDS]: wait until URL answers (any HTTP status).
rel_wait_http()
{
	local url=$1 secs=${2:-10} i
	for i in $(seq 1 $((secs * 20))); do
		if curl -s -o /dev/null --max-time 1 "$url"; then
			return 0
		fi
		sleep 0.05
	done
	return 1
}

# rel_exporter_start OUTVAR_PORT CONFIG LOG [wrap...]: start the exporter on
# a free loopback port, wait until /-/healthy answers; sets EXP_PID and
# EXP_PORT.  Retries a few ports in case one was taken meanwhile.
rel_exporter_start()
{
	local config=$1 log=$2 try args
	shift 2
	for try in 1 2 3 4 5; do
		EXP_PORT=$(rel_free_port) || return 1
		args=(--web.listen-address "127.0.0.1:$EXP_PORT")
		[ -n "$config" ] && args+=(--config.file "$config")
		"$@" "$SMTPPROBE_BUILD/smtp_ports_exporter" "${args[@]}" \
		    >"$log" 2>&1 </dev/null &
		EXP_PID=$!
		rel_track "$EXP_PID"
		if rel_wait_http "http://127.0.0.1:$EXP_PORT/-/healthy" \
		    "${REL_EXP_WAIT:-10}"; then
			return 0
		fi
		kill -TERM "$EXP_PID" 2>/dev/null
		wait "$EXP_PID" 2>/dev/null
	done
	echo "exporter did not start; log:" >&2
	tail -20 "$log" >&2
	return 1
}

# rel_rss_kb PID: resident set size of a live process, in KiB.
rel_rss_kb()
{
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# rel_hwm_kb PID: peak resident set size of a live process, in KiB.
rel_hwm_kb()
{
	awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# rel_cpu_ticks PID: utime + stime of a process, in clock ticks.
rel_cpu_ticks()
{
	# Field 2 (comm) may contain blanks: cut after the last ')'.
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}'
}

# rel_sanitizer_report FILE: print sanitizer / valgrind error lines from a
# stderr capture; status 0 if there were any.
rel_sanitizer_report()
{
	grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$1"
}

# SPDX-License-Identifier: GPL-2.0
# Wall-clock limits for benchmarks in an -icount L1 (sourced by
# tools/bench-boot and tools/bench-io).  L1's own clocks count
# instructions there and crawl while an L2 guest spins (and an RTC alarm
# is no use: L0's main loop, which would raise it, starves while its vCPU
# thread spins), so time is read from the RTC, which keeps host time.
# Nothing here forks: polling must not disturb what is measured.
# Needs $tmp (a scratch directory).

# A FIFO nobody writes: read -t on it is a sleep without a fork.
mkfifo "$tmp/idle"
exec 3<>"$tmp/idle"
nap() { read -r -t "$1" -u 3 _; }

# wall: wall-clock seconds into $now.
wall() {
	read -r now </sys/class/rtc/rtc0/since_epoch 2>/dev/null || now=$(date +%s)
}

# wait_wall PID DEADLINE: waits until PID exits or the wall clock reaches
# DEADLINE (seconds, as wall gives them); then stops it (SIGTERM, SIGKILL
# 3 s later).  Returns 0 if it exited by itself, 1 if it was stopped.
# Checks PID twice an L1 second, the RTC only every 5 L1 seconds: reading
# it costs ~10 M L1 instructions (the driver may wait out the RTC's
# update cycle), which would show in what is measured.
wait_wall() {
	local pid=$1 deadline=$2 n=0
	while kill -0 "$pid" 2>/dev/null; do
		if ((++n % 10 == 0)); then
			wall
			if ((now >= deadline)); then
				kill "$pid" 2>/dev/null
				nap 3
				kill -9 "$pid" 2>/dev/null
				return 1
			fi
		fi
		nap 0.5
	done
	return 0
}

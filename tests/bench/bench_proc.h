/*
 * bench_proc.h -- what the benchmark reads about a server process from /proc
 * (CPU time, resident memory) and the monotonic clock.
 */
#ifndef FB_BENCH_PROC_H
#define FB_BENCH_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t fb_bench_now_ns(void);

/* utime + stime of every thread of pid, in microseconds (clock-tick
 * resolution, 10 ms on most kernels); -1 if unreadable. */
int64_t fb_proc_cpu_us(pid_t pid);

/* VmHWM (peak) and VmRSS (now) of pid in KiB; -1 if unreadable. */
int64_t fb_proc_hwm_kib(pid_t pid);
int64_t fb_proc_rss_kib(pid_t pid);

#endif

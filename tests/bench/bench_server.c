/*
 * bench_server.c -- starting and stopping the server under test as a child
 * process. Children get PR_SET_PDEATHSIG so nothing outlives the benchmark,
 * and every started pid is remembered so error paths can kill it.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "bench_server.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_proc.h"

static pid_t children[8];

static void remember(pid_t pid)
{
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (!children[i]) {
            children[i] = pid;
            return;
        }
}

static void forget(pid_t pid)
{
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i] == pid)
            children[i] = 0;
}

void fb_bench_server_kill_all(void)
{
    for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
}

const char *fb_bench_kind_name(enum fb_bench_kind k)
{
    switch (k) {
    case FB_BENCH_FLOOR:
        return "floor";
    case FB_BENCH_BRIDGE_MEM:
        return "bridge/mem";
    case FB_BENCH_BRIDGE_FILE:
        return "bridge/file";
    case FB_BENCH_BRIDGE_BINANCE:
        return "bridge/binance";
    }
    return "?";
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads the whole of fd until "ready\n" or EOF; ports are "PORT\n" lines. */
static int read_floor_ports(int fd, struct fb_bench_server *s)
{
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "ready\n"))
            break;
        if (len == sizeof buf - 1)
            return -1;
    }
    char *p = buf;
    for (size_t i = 0; i < s->nsessions; i++) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > 65535)
            return -1;
        s->ports[i] = (uint16_t)v;
        p = end + 1;
    }
    return 0;
}

static pid_t start_floor(const struct fb_bench_server_opts *o, struct fb_bench_server *s)
{
    int pfd[2];
    if (pipe(pfd) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        fb_bench_floor_child(o, s->dir, pfd[1]);
    }
    remember(pid);
    close(pfd[1]);
    int rc = read_floor_ports(pfd[0], s);
    close(pfd[0]);
    if (rc < 0) {
        fprintf(stderr, "fbbench: the floor server did not start\n");
        return -1;
    }
    return pid;
}

static int read_bridge_ports(const char *path, struct fb_bench_server *s)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char name[128];
    unsigned port;
    size_t got = 0;
    while (fscanf(f, "%127s %u", name, &port) == 2) {
        if (!strcmp(name, "admin") && port > 0 && port <= 65535)
            s->admin_port = (uint16_t)port;
        if (!strncmp(name, "oms", 3)) {
            unsigned long i = strtoul(name + 3, NULL, 10);
            if (i >= 1 && i <= s->nsessions && port > 0 && port <= 65535) {
                s->ports[i - 1] = (uint16_t)port;
                got++;
            }
        }
    }
    fclose(f);
    return got == s->nsessions ? 0 : -1;
}

/* "venue-sim PORT" in path; 0 if not there (yet). */
static uint16_t read_sim_port(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned port = 0;
    if (!f)
        return 0;
    if (fscanf(f, "venue-sim %u", &port) != 1 || port > 65535)
        port = 0;
    fclose(f);
    return (uint16_t)port;
}

/* Runs argv (argv[0] the path) in a child that dies with fbbench, its
 * stdout and stderr to log (truncated); the pid (remembered), or -1. */
static pid_t spawn_logged(const char *const argv[], const char *log)
{
    /* execv's argv is char *const[] for history's sake; it writes nothing. */
    union {
        const char *const *c;
        char *const *v;
    } args = {argv};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv(argv[0], args.v);
        _exit(127);
    }
    remember(pid);
    return pid;
}

/* Polls every 10 ms, up to 15 s, until ready(ports, s) == 0; -1 (said on
 * stderr, naming what and its log) if pid exits first or time runs out. */
static int wait_started(pid_t pid, const char *what, const char *ports, const char *log,
                        int (*ready)(const char *ports, struct fb_bench_server *s),
                        struct fb_bench_server *s)
{
    for (int waited = 0; waited < 15000; waited += 10) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            forget(pid);
            fprintf(stderr, "fbbench: %s exited during start-up (status %d); see %s\n", what,
                    WIFEXITED(st) ? WEXITSTATUS(st) : -1, log);
            return -1;
        }
        if (ready(ports, s) == 0)
            return 0;
        sleep_ms(10);
    }
    fprintf(stderr, "fbbench: %s did not write %s within 15 s; see %s\n", what, ports, log);
    return -1;
}

static int sim_port_ready(const char *ports, struct fb_bench_server *s)
{
    return (s->sim_port = read_sim_port(ports)) != 0 ? 0 : -1;
}

/* fixbridge venue-sim --venue binance on a free port, for bridge/binance.
 * The key and secret come from the environment fbbench set. */
static pid_t start_venue_sim(const struct fb_bench_server_opts *o, struct fb_bench_server *s)
{
    char ports[300], log[300];
    snprintf(ports, sizeof ports, "%s/sim-ports", s->dir);
    snprintf(log, sizeof log, "%s/venue-sim.log", s->dir);
    const char *const argv[] = {o->fixbridge,
                                "venue-sim",
                                "--venue",
                                "binance",
                                "--port",
                                "0",
                                "--ports-file",
                                ports,
                                "--market",
                                FB_BENCH_VSIM_MARKET,
                                "--api-key-env",
                                FB_BENCH_VSIM_KEY_ENV,
                                "--api-secret-env",
                                FB_BENCH_VSIM_SECRET_ENV,
                                NULL};
    pid_t pid = spawn_logged(argv, log);
    if (pid < 0 || wait_started(pid, "venue-sim", ports, log, sim_port_ready, s) < 0)
        return -1;
    return pid;
}

/* The value of "key": N in a JSON text, or -1. */
static long long json_count(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/*
 * bridge/binance is ready when the adapter has its clock offset, the
 * exchangeInfo and a reference price: before that an order would be held
 * (clock) or refused by the policy's collar (no reference). The venue-sim
 * counts the bookTicker answers it sent; once one has gone out, a short
 * grace lets the bridge read it. Start-up order (time, exchangeInfo,
 * ticker) is the adapter's, all sent together at start.
 */
static int wait_binance_ready(const struct fb_bench_server *s)
{
    for (int waited = 0; waited < 15000; waited += 50) {
        char *body = fb_bench_http_get(s->sim_port, "/__sim/arrivals", 2000);
        long long n = json_count(body, "\"book_ticker_answers\":");
        free(body);
        if (n >= 1) {
            sleep_ms(300);
            return 0;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "fbbench: the bridge asked venue-sim for no bookTicker within 15 s\n");
    return -1;
}

static pid_t start_bridge(enum fb_bench_kind kind, const struct fb_bench_server_opts *o,
                          struct fb_bench_server *s)
{
    char cfg[300], ports[300], log[300];
    if (kind == FB_BENCH_BRIDGE_BINANCE && (s->sim_pid = start_venue_sim(o, s)) < 0)
        return -1;
    if (fb_bench_bridge_config(kind, o, s->dir, s->sim_port) < 0)
        return -1;
    snprintf(cfg, sizeof cfg, "%s/fixbridge.yaml", s->dir);
    snprintf(ports, sizeof ports, "%s/ports", s->dir);
    snprintf(log, sizeof log, "%s/fixbridge.log", s->dir);
    const char *const argv[] = {o->fixbridge, "run", "-c", cfg, "--ports-file", ports, NULL};
    pid_t pid = spawn_logged(argv, log);
    if (pid < 0 || wait_started(pid, "fixbridge", ports, log, read_bridge_ports, s) < 0)
        return -1;
    if (kind == FB_BENCH_BRIDGE_BINANCE && wait_binance_ready(s) < 0)
        return -1;
    return pid;
}

int fb_bench_server_start(enum fb_bench_kind kind, const struct fb_bench_server_opts *o,
                          struct fb_bench_server *s)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->nsessions = o->nsessions;
    snprintf(s->dir, sizeof s->dir, "%s/%s.XXXXXX", o->workdir,
             kind == FB_BENCH_FLOOR            ? "floor"
             : kind == FB_BENCH_BRIDGE_BINANCE ? "binance"
                                               : "bridge");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "fbbench: mkdtemp %s: %s\n", s->dir, strerror(errno));
        return -1;
    }
    pid_t pid = kind == FB_BENCH_FLOOR ? start_floor(o, s) : start_bridge(kind, o, s);
    if (pid < 0) {
        fb_bench_server_kill_all();
        nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return -1;
    }
    s->pid = pid;
    return 0;
}

static void stop_child(pid_t *pid, int timeout_ms)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    int waited = 0;
    while (waitpid(*pid, NULL, WNOHANG) == 0) {
        if (waited >= timeout_ms) {
            kill(*pid, SIGKILL);
            waitpid(*pid, NULL, 0);
            break;
        }
        sleep_ms(5);
        waited += 5;
    }
    forget(*pid);
    *pid = 0;
}

void fb_bench_server_stop(struct fb_bench_server *s, int timeout_ms)
{
    /* the bridge first: it may still be talking to its venue */
    stop_child(&s->pid, timeout_ms);
    stop_child(&s->sim_pid, timeout_ms);
    if (s->dir[0] && !getenv("FBBENCH_KEEP"))
        nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    s->dir[0] = '\0';
}

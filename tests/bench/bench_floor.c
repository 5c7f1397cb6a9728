/*
 * bench_floor.c -- the engine floor: a bare acceptor on the same fix/ shim the
 * bridge uses (memory store, no message log, no order engine) that answers
 * each NewOrderSingle at once, from the callback, with one ExecutionReport
 * (150=0) carrying the fields a real New carries. Whatever the bridge costs
 * beyond this is the bridge's own.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_server.h"
#include "fix/fix_shim.h"

struct floor {
    fb_fix_acceptor *a;
    uint64_t next_id;
    int reports;
};

static void transact_time(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y%m%d-%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03d", (int)(ts.tv_nsec / 1000000));
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static enum fb_fix_app_result on_app(void *user, size_t session, const fb_fix_msg *msg,
                                     int *ref_tag)
{
    struct floor *fl = user;
    (void)ref_tag;
    if (strcmp(fb_fix_msg_type(msg), "D") != 0)
        return FB_FIX_APP_UNSUPPORTED;
    char order_id[24], exec_id[24], when[32];
    const char *qty = or_empty(fb_fix_msg_get(msg, 38));
    snprintf(order_id, sizeof order_id, "F%llu", (unsigned long long)++fl->next_id);
    transact_time(when);
    for (int k = fl->reports > 1 ? 0 : 1; k < 2; k++) {
        const char *st = k == 0 ? "A" : "0";
        snprintf(exec_id, sizeof exec_id, "E%llu.%d", (unsigned long long)fl->next_id, k);
        struct fb_fix_field f[] = {
            {37, order_id},
            {17, exec_id},
            {11, or_empty(fb_fix_msg_get(msg, 11))},
            {150, st},
            {39, st},
            {55, or_empty(fb_fix_msg_get(msg, 55))},
            {54, or_empty(fb_fix_msg_get(msg, 54))},
            {38, qty},
            {40, or_empty(fb_fix_msg_get(msg, 40))},
            {44, or_empty(fb_fix_msg_get(msg, 44))},
            {151, qty},
            {14, "0"},
            {6, "0"},
            {60, when},
        };
        fb_fix_send(fl->a, session, "8", f, sizeof f / sizeof f[0], NULL);
    }
    return FB_FIX_APP_OK;
}

void fb_bench_floor_child(const struct fb_bench_server_opts *o, const char *data_dir, int fd)
{
    static struct fb_fix_session_cfg cfgs[FB_BENCH_MAX_SESSIONS];
    static char targets[FB_BENCH_MAX_SESSIONS][16], names[FB_BENCH_MAX_SESSIONS][16];
    static struct floor fl;
    char *err = NULL;
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    setenv("TZ", "UTC", 1); /* as fixbridge run does */
    tzset();
    if (getppid() == 1)
        _exit(1);
    char log[300];
    snprintf(log, sizeof log, "%s/floor.log", data_dir);
    int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (lfd >= 0) { /* the shim logs at info; keep the table readable */
        dup2(lfd, 1);
        dup2(lfd, 2);
        close(lfd);
    }

    for (size_t i = 0; i < o->nsessions; i++) {
        snprintf(names[i], sizeof names[i], "oms%u", (unsigned)(i + 1));
        snprintf(targets[i], sizeof targets[i], "OMS%u", (unsigned)(i + 1));
        struct fb_fix_session_cfg *c = &cfgs[i];
        c->name = names[i];
        c->begin_string = "FIX.4.4";
        c->sender_comp_id = "FIXBRIDGE";
        c->target_comp_id = targets[i];
        c->listen_addr = "127.0.0.1";
        c->port = 0;
        c->dictionary = o->dictionary;
        c->reset = FB_FIX_RESET_ON_LOGON;
        c->store = FB_FIX_STORE_MEMORY;
        c->data_dir = data_dir;
        c->log_messages = 0;
    }
    fl.reports = o->floor_reports;
    struct fb_fix_callbacks cb = {.user = &fl, .on_app = on_app};
    fl.a = fb_fix_acceptor_new(cfgs, o->nsessions, &cb, &err);
    if (!fl.a || fb_fix_acceptor_start(fl.a, &err) != FB_OK) {
        fprintf(stderr, "fbbench floor: %s\n", err ? err : "cannot start");
        _exit(1);
    }
    char buf[16];
    for (size_t i = 0; i < o->nsessions; i++) {
        int n = snprintf(buf, sizeof buf, "%u\n", (unsigned)fb_fix_acceptor_port(fl.a, i));
        if (write(fd, buf, (size_t)n) != n)
            _exit(1);
    }
    if (write(fd, "ready\n", 6) != 6)
        _exit(1);
    close(fd);
    int sig;
    while (sigwait(&set, &sig) != 0)
        ;
    fb_fix_acceptor_stop(fl.a, 1000);
    fb_fix_acceptor_free(fl.a);
    _exit(0);
}

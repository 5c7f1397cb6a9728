/*
 * fixbridge run: load the config, start the FIX acceptor (and, as they land,
 * the order engine and venues), run until SIGINT or SIGTERM, then log every
 * session out cleanly and flush the stores.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge/admin.h"
#include "bridge/cli.h"
#include "bridge/dirs.h"
#include "bridge/engine.h"
#include "bridge/fix_sessions.h"
#include "bridge/log.h"
#include "config/config.h"
#include "fix/fix_shim.h"

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: fixbridge run -c FILE [--log-level LEVEL] [--ports-file FILE]\n"
            "\n"
            "Runs the bridge in the foreground until SIGINT or SIGTERM, which log\n"
            "every FIX session out and flush the stores before exiting.\n"
            "  -c, --config FILE      the YAML config (see config/fixbridge.example.yaml)\n"
            "  -l, --log-level LEVEL  debug|info|warn|error (overrides bridge.log_level)\n"
            "  --ports-file FILE      once listening, write 'SESSION PORT' lines to FILE\n"
            "                         (for scripts that configure port 0)\n");
}

/* One bridge per data directory: two would interleave the same FIX stores. */
static int lock_data_dir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/fixbridge.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        close(fd);
        return -2;
    }
    return fd;
}

static int write_ports_file(const char *path, const struct fb_config *cfg, fb_fix_acceptor *a,
                            const struct fb_admin *admin)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < cfg->nsessions; i++)
        fprintf(f, "%s %u\n", cfg->sessions[i].name, (unsigned)fb_fix_acceptor_port(a, i));
    if (admin)
        fprintf(f, "admin %u\n", (unsigned)fb_admin_port(admin));
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path); /* readers never see a half-written file */
}

int fb_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"log-level", required_argument, NULL, 'l'},
                                         {"ports-file", required_argument, NULL, 'p'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL, *level = NULL, *ports_file = NULL;
    struct fb_config *cfg = NULL;
    struct fb_fix_sessions sessions = {0};
    fb_fix_acceptor *acceptor = NULL;
    struct fb_engine *engine = NULL;
    struct fb_admin *admin = NULL;
    char *err = NULL, errbuf[512];
    int rc = FB_EXIT_FAILURE, c, lockfd = -1, sig = 0;
    sigset_t set;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'l':
            level = optarg;
            break;
        case 'p':
            ports_file = optarg;
            break;
        case 'h':
            run_usage(stdout);
            return FB_EXIT_OK;
        default:
            run_usage(stderr);
            return FB_EXIT_USAGE;
        }
    }
    if (!path || optind != argc) {
        run_usage(stderr);
        return FB_EXIT_USAGE;
    }
    /* All times are UTC; with TZ set once, glibc stops re-reading
     * /etc/localtime on every timestamp. */
    setenv("TZ", "UTC", 1);
    tzset();

    if (fb_config_load(path, &cfg, &err) != FB_OK) {
        fprintf(stderr, "%s%s", err ? err : "config: unknown error",
                err && *err && err[strlen(err) - 1] == '\n' ? "" : "\n");
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    fb_log_set_level(cfg->bridge.log_level);
    if (level) {
        enum fb_log_level lv;
        if (fb_log_level_parse(level, &lv) != 0) {
            fprintf(stderr, "fixbridge run: unknown log level '%s'\n", level);
            rc = FB_EXIT_USAGE;
            goto out;
        }
        fb_log_set_level(lv);
    }
    if (fb_fix_sessions_build(cfg, &sessions, &err) != FB_OK) {
        fprintf(stderr, "%s\n", err ? err : "sessions: unknown error");
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    if (fb_mkdir_p(cfg->bridge.data_dir, 0750, NULL, 0) < 0) {
        fb_error("run", "cannot create data_dir %s: %s", cfg->bridge.data_dir, strerror(errno));
        rc = FB_EXIT_STARTUP;
        goto out;
    }
    lockfd = lock_data_dir(cfg->bridge.data_dir);
    if (lockfd < 0) {
        fb_error("run", "data_dir %s: %s", cfg->bridge.data_dir,
                 lockfd == -2 ? "another fixbridge is running on it" : strerror(errno));
        rc = FB_EXIT_STARTUP;
        goto out;
    }

    /* Signals are taken synchronously by this thread only: block them before
     * any thread starts so every thread inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    engine = fb_engine_new(cfg, errbuf, sizeof errbuf);
    if (!engine) {
        fb_error("run", "cannot start the order engine: %s", errbuf);
        rc = FB_EXIT_STARTUP;
        goto out;
    }
    struct fb_fix_callbacks cb = fb_engine_fix_callbacks(engine);
    acceptor = fb_fix_acceptor_new(sessions.cfgs, sessions.n, &cb, &err);
    if (!acceptor) {
        fb_error("run", "cannot create the FIX acceptor: %s", err ? err : "?");
        rc = FB_EXIT_STARTUP;
        goto out;
    }
    fb_engine_attach(engine, acceptor);
    if (fb_engine_start(engine) != FB_OK) {
        fb_error("run", "cannot start the engine thread");
        rc = FB_EXIT_STARTUP;
        goto out;
    }
    if (fb_fix_acceptor_start(acceptor, &err) != FB_OK) {
        fb_error("run", "cannot start the FIX acceptor: %s", err ? err : "?");
        rc = FB_EXIT_STARTUP;
        goto out;
    }
    if (cfg->admin.present) {
        admin = fb_admin_start(cfg, engine, acceptor, errbuf, sizeof errbuf);
        if (!admin) {
            fb_error("run", "%s", errbuf);
            rc = FB_EXIT_STARTUP;
            goto out;
        }
    }
    for (size_t i = 0; i < cfg->nsessions; i++) {
        const struct fb_session_cfg *s = &cfg->sessions[i];
        fb_info("run", "session %s: %s %s <- %s on %s:%u", s->name,
                sessions.cfgs[i].begin_string, s->sender_comp_id, s->target_comp_id, s->listen,
                (unsigned)fb_fix_acceptor_port(acceptor, i));
    }
    if (ports_file && write_ports_file(ports_file, cfg, acceptor, admin) < 0) {
        fb_error("run", "cannot write %s: %s", ports_file, strerror(errno));
        rc = FB_EXIT_STARTUP;
        goto out;
    }
    fb_info("run", "fixbridge %s ready (config %s); stop with Ctrl-C or SIGTERM", FB_VERSION,
            path);

    while (sigwait(&set, &sig) != 0)
        ;
    fb_info("run", "%s received: logging sessions out", sig == SIGINT ? "SIGINT" : "SIGTERM");
    fb_admin_stop(admin); /* its requests go through the engine */
    admin = NULL;
    fb_fix_acceptor_stop(acceptor, (int)cfg->bridge.shutdown_timeout_ms);
    fb_engine_stop(engine);
    fb_info("run", "stopped cleanly");
    rc = FB_EXIT_OK;
out:
    /* The acceptor goes first: its callbacks enqueue into the engine. */
    fb_admin_stop(admin);
    fb_fix_acceptor_free(acceptor);
    fb_engine_free(engine);
    fb_fix_sessions_free(&sessions);
    fb_config_free(cfg);
    free(err);
    if (lockfd >= 0)
        close(lockfd);
    return rc;
}

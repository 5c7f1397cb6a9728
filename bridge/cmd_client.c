/*
 * cmd_client.c -- `fixbridge client`: a FIX initiator that plays the OMS
 * against a bridge session taken from the bridge's own YAML config, for
 * trying the bridge by hand (one-shot commands) and for end-to-end tests
 * (--script with expect lines). This file is only the I/O driver; parsing,
 * message building and printing live in client_*.c (see bridge/client.h).
 *
 * Threads: QuickFIX's I/O thread only copies each received message into a
 * queue; the main thread owns stdout, prints and matches, so output order
 * is arrival order and an expectation never races the printer.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge/admin_client.h"
#include "bridge/cli.h"
#include "bridge/client.h"
#include "config/config.h"
#include "fix/fix_initiator.h"

#define ENTRY_MSG 0
#define ENTRY_NOTE 1

struct entry {
    struct entry *next;
    int kind;
    char *note;              /* ENTRY_NOTE: a line to print */
    struct fb_client_msg msg; /* ENTRY_MSG */
};

/* A received message kept for $NAME.Field in admin lines (newest first). */
struct seen {
    struct seen *next;
    struct fb_client_msg msg;
};

struct client {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct entry *head, *tail; /* filled by the I/O thread */
    struct entry *pending, *pending_tail; /* printed, not yet consumed by an expect */
    int logged_on;
    int ended;   /* the session ended (also: a connection attempt failed) */
    int refused; /* a Logout arrived before we were logged on */
    int verbose;
    int fix44;
    fb_fix_initiator *ini;
    struct fb_client_ids *ids;
    struct seen *seen;                 /* main thread only */
    int keep_seen;                     /* the script has $NAME.Field references */
    struct fb_admin_target admin;      /* admin lines: where the endpoint is */
};

struct options {
    const char *config;
    const char *session;
    const char *host;
    const char *script;
    const char *id_prefix;
    const char *password_env;
    const char *dictionary;
    long port;
    long admin_port;
    unsigned wait_ms;
    unsigned connect_ms;
    int verbose;
    int no_reset;
};

static void usage(FILE *out)
{
    fputs(
        "usage: fixbridge client -c CONFIG [options] COMMAND...\n"
        "       fixbridge client -c CONFIG [options] --script FILE\n"
        "\n"
        "Plays the OMS against a bridge session from the bridge's config (CompIDs\n"
        "swapped, the session's address, port, FIX version and credentials).\n"
        "\n"
        "options:\n"
        "  -c, --config FILE      the bridge's YAML config (required)\n"
        "  -s, --session NAME     session to use (default: the first)\n"
        "      --host HOST        connect here instead of the session's listen address\n"
        "      --port PORT        connect to this port instead of the session's\n"
        "      --admin-port PORT  the admin endpoint's port for admin lines (default:\n"
        "                         the config's admin.port; needed when that is 0)\n"
        "      --script FILE      run commands and expectations from FILE\n"
        "  -w, --wait SECONDS     how long a command waits for its answer (default 5)\n"
        "      --connect-timeout SECONDS  connect and logon limit (default 5)\n"
        "      --id-prefix P      prepend P to every ClOrdID sent (default none)\n"
        "      --password-env VAR take the Logon password from VAR (default: the config's)\n"
        "      --dictionary XML   validate received messages against this dictionary\n"
        "      --no-reset         do not ask for a sequence reset (141=Y) on logon\n"
        "  -v, --verbose          also print raw messages (SOH as |) and engine events\n"
        "  -h, --help             this text\n"
        "\n"
        "commands:\n"
        "  buy|sell SYMBOL QTY|cash=AMOUNT market|limit PRICE [stop=PX]\n"
        "       [type=market|limit|stop|stop-limit|take-profit|take-profit-limit]\n"
        "       [tif ioc|fok|gtc|day|gtd=YYYYMMDD[-HH:MM:SS]] [id=NAME] [account=A]\n"
        "       [post-only] [display=QTY] [exdest=X] [TAG=VALUE ...]\n"
        "  cancel REF [id=NAME] [symbol=S side=buy|sell qty=Q]\n"
        "  replace REF [qty=Q] [price=PX] [stop=PX] [tif ...] [id=NAME]\n"
        "  status REF [symbol=S side=buy|sell]\n"
        "  mass-cancel [SYMBOL]        mass-status [SYMBOL]\n"
        "  send MSGTYPE TAG=VALUE ...  (raw, for negative tests)\n"
        "REF is a name given with id= earlier in the same run, or a ClOrdID.\n"
        "TAG=VALUE extras go in the body, standard header tags (97=Y PossResend) in\n"
        "the header.\n"
        "\n"
        "script lines (besides commands; '#' starts a comment):\n"
        "  expect TYPE|* [Field=Value ...] [timeout=S]  the next message must match\n"
        "  wait-for TYPE|* [Field=Value ...] [timeout=S] skip messages until one matches\n"
        "  expect-none S                                 no message for S seconds\n"
        "  sleep S\n"
        "  admin GET|POST /PATH [key=value ...]  an HTTP request to the bridge's admin\n"
        "       endpoint (the config's admin: listen and port, the bearer token from\n"
        "       admin.token_env); a non-2xx answer fails the script. A value $NAME.Field\n"
        "       is the last Field received for order NAME, e.g.\n"
        "       admin POST /sim/cancel venue=paper order_id=$o1.OrderID\n"
        "Fields and types by name or number (ExecType=New or 150=0); values compare\n"
        "exactly as text, or by enum name; * = present, ! = absent.\n"
        "\n"
        "exit codes: 0 ok, 1 rejected or no answer in time, 2 usage, 3 config,\n"
        "5 an expectation failed, 6 could not connect or log on.\n",
        out);
}

/* --- the I/O thread's side ---------------------------------------------- */

static void push(struct client *c, struct entry *e)
{
    pthread_mutex_lock(&c->mu);
    if (c->tail)
        c->tail->next = e;
    else
        c->head = e;
    c->tail = e;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void push_note(struct client *c, const char *prefix, const char *text)
{
    size_t n = strlen(prefix) + strlen(text) + 1;
    struct entry *e = calloc(1, sizeof *e);
    if (e == NULL || (e->note = malloc(n)) == NULL) {
        free(e);
        return; /* a lost diagnostic line is better than a stalled session */
    }
    snprintf(e->note, n, "%s%s", prefix, text);
    for (char *p = e->note; *p; p++)
        if (*p == '\001')
            *p = '|';
    e->kind = ENTRY_NOTE;
    push(c, e);
}

static void push_msg(struct client *c, const fb_fix_imsg *m)
{
    size_t len = 0;
    const char *raw = fb_fix_imsg_raw(m, &len);
    struct entry *e = calloc(1, sizeof *e);
    if (raw == NULL || e == NULL || fb_client_msg_parse(raw, len, 0, &e->msg) != FB_OK) {
        free(e);
        push_note(c, "client: could not copy a received message", "");
        return;
    }
    e->kind = ENTRY_MSG;
    push(c, e);
}

static void on_logon(void *user)
{
    struct client *c = user;
    pthread_mutex_lock(&c->mu);
    c->logged_on = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_logout(void *user)
{
    struct client *c = user;
    pthread_mutex_lock(&c->mu);
    int was_on = c->logged_on;
    c->logged_on = 0;
    c->ended = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    if (was_on)
        push_note(c, "-- session ended", "");
}

static void on_app(void *user, const fb_fix_imsg *m)
{
    push_msg(user, m);
}

static void on_admin(void *user, const fb_fix_imsg *m)
{
    const char *t = fb_fix_imsg_type(m);
    /* Heartbeats, test requests, logons and resends are the engine's
     * business; a Reject or a Logout is the user's. */
    if (t && strcmp(t, "5") == 0) {
        struct client *c = user;
        pthread_mutex_lock(&c->mu);
        if (!c->logged_on)
            c->refused = 1;
        pthread_mutex_unlock(&c->mu);
    }
    if (t && (strcmp(t, "3") == 0 || strcmp(t, "5") == 0))
        push_msg(user, m);
}

static void on_raw(void *user, char direction, const char *text)
{
    char prefix[8];
    snprintf(prefix, sizeof prefix, "  %c ", direction == '-' ? '*' : direction);
    push_note(user, prefix, text);
}

/* --- the main thread's side ---------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_until(struct client *c, long long deadline)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long left = deadline - now_ms();
    if (left <= 0)
        return;
    long long ns = ts.tv_nsec + (left % 1000) * 1000000;
    ts.tv_sec += (time_t)(left / 1000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
}

static void print_msg(const struct fb_client_msg *m)
{
    char line[4096];
    size_t n = fb_client_format(m, line, sizeof line);
    fputs(line, stdout);
    if (n >= sizeof line)
        fputs(" ...", stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static void free_entry(struct entry *e)
{
    if (e->kind == ENTRY_MSG)
        fb_client_msg_free(&e->msg);
    free(e->note);
    free(e);
}

/* Keeps a copy of m for $NAME.Field (rebuilt from its fields: m's buffer
 * has NULs for SOH). A lost copy only makes a later reference fail. */
static void remember_seen(struct client *c, const struct fb_client_msg *m)
{
    size_t len = 0;
    for (size_t i = 0; i < m->nfields; i++)
        len += strlen(m->f[i].value) + 8;
    char *raw = malloc(len + 1);
    struct seen *s = calloc(1, sizeof *s);
    if (raw == NULL || s == NULL) {
        free(raw);
        free(s);
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < m->nfields; i++)
        n += (size_t)snprintf(raw + n, len + 1 - n, "%d=%s\001", m->f[i].tag, m->f[i].value);
    if (fb_client_msg_parse(raw, n, 0, &s->msg) != FB_OK) {
        free(raw);
        free(s);
        return;
    }
    free(raw);
    s->next = c->seen;
    c->seen = s;
}

/* fb_client_seen_fn over the messages this run received. */
static const char *seen_value(void *user, const char *clordid, int tag)
{
    const struct client *c = user;
    for (const struct seen *s = c->seen; s; s = s->next) {
        const char *id = fb_client_msg_get(&s->msg, 11);
        const char *orig = fb_client_msg_get(&s->msg, 41);
        const char *v = fb_client_msg_get(&s->msg, tag);
        if (v && ((id && strcmp(id, clordid) == 0) || (orig && strcmp(orig, clordid) == 0)))
            return v;
    }
    return NULL;
}

/* Prints incoming entries until deadline (or the first message when
 * want_msg). Printed messages go to the pending list. Returns 1 if a message
 * was printed. */
static int pump(struct client *c, long long deadline, int want_msg)
{
    int got = 0;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        while (c->head == NULL && now_ms() < deadline)
            wait_until(c, deadline);
        struct entry *e = c->head;
        if (e) {
            c->head = e->next;
            if (c->head == NULL)
                c->tail = NULL;
            e->next = NULL;
        }
        pthread_mutex_unlock(&c->mu);
        if (e == NULL)
            return got;
        if (e->kind == ENTRY_NOTE) {
            if (c->verbose || strncmp(e->note, "  ", 2) != 0)
                fprintf(stdout, "%s\n", e->note);
            free_entry(e);
            continue;
        }
        print_msg(&e->msg);
        if (c->keep_seen)
            remember_seen(c, &e->msg);
        if (c->pending_tail)
            c->pending_tail->next = e;
        else
            c->pending = e;
        c->pending_tail = e;
        got = 1;
        if (want_msg)
            return got;
    }
}

/* The next unconsumed message, or NULL at deadline. Caller frees. */
static struct entry *next_msg(struct client *c, long long deadline)
{
    if (c->pending == NULL)
        pump(c, deadline, 1);
    struct entry *e = c->pending;
    if (e) {
        c->pending = e->next;
        if (c->pending == NULL)
            c->pending_tail = NULL;
    }
    return e;
}

static void transact_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y%m%d-%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ld", ts.tv_nsec / 1000000);
}

/* Builds and sends one command's message; *out says what was sent. */
static int send_cmd(struct client *c, const struct fb_client_cmd *cmd, struct fb_client_out *out,
                    const char *where)
{
    char err[256], tt[32], line[2048];
    struct fb_fix_ifield fields[FB_CLIENT_MAX_FIELDS + 24];
    char *errptr = NULL;

    transact_time(tt, sizeof tt);
    if (fb_client_build(cmd, c->ids, c->fix44, tt, out, err, sizeof err) != FB_OK) {
        fprintf(stderr, "fixbridge client: %s%s\n", where, err);
        return FB_EXIT_USAGE;
    }
    for (size_t i = 0; i < out->nfields; i++) {
        fields[i].tag = out->tags[i];
        fields[i].value = out->values[i];
    }
    pump(c, now_ms(), 0); /* print what arrived before, so output stays in order */
    fb_client_format_out(out, c->fix44, line, sizeof line);
    printf("> %s\n", line);
    fflush(stdout);
    enum fb_err e = fb_fix_initiator_send(c->ini, out->msg_type, fields, out->nfields, &errptr);
    if (e != FB_OK) {
        fprintf(stderr, "fixbridge client: %ssend failed: %s\n", where,
                errptr ? errptr : fb_strerror(e));
        free(errptr);
        return FB_EXIT_FAILURE;
    }
    return FB_EXIT_OK;
}

static int is_terminal(const char *st)
{
    return st && strchr("234789C", st[0]) != NULL && st[1] == '\0';
}

/*
 * Whether a received message ends a one-shot command: 1 done (ok), 2 done
 * (rejected), 0 keep waiting.
 */
static int finishes(const struct fb_client_cmd *cmd, const struct fb_client_out *out,
                    const struct fb_client_msg *m)
{
    const char *t = fb_client_msg_get(m, 35);
    const char *id = fb_client_msg_get(m, 11);
    const char *st = fb_client_msg_get(m, 39);
    const char *et = fb_client_msg_get(m, 150);
    if (t == NULL)
        return 0;
    if (strcmp(t, "3") == 0 || strcmp(t, "j") == 0 || strcmp(t, "5") == 0)
        return 2;
    if (strcmp(t, "9") == 0)
        return id && strcmp(id, out->clordid) == 0 ? 2 : 0;
    if (strcmp(t, "r") == 0)
        return cmd->verb == FB_CV_MASS_CANCEL ? 1 : 0;
    if (strcmp(t, "8") != 0)
        return 0;
    if (cmd->verb == FB_CV_MASS_STATUS) {
        const char *last = fb_client_msg_get(m, 912);
        const char *req = fb_client_msg_get(m, 584);
        return req && strcmp(req, out->clordid) == 0 && last && strcmp(last, "Y") == 0 ? 1 : 0;
    }
    if (id == NULL || strcmp(id, out->clordid) != 0)
        return 0;
    if (et && strcmp(et, "8") == 0)
        return 2;
    switch (cmd->verb) {
    case FB_CV_NEW:
        /* Market, IOC and FOK orders end in a terminal state; a resting
         * order is done once the venue acknowledged it. */
        if (cmd->ord_type == '1' || cmd->tif == '3' || cmd->tif == '4')
            return is_terminal(st);
        return st && strcmp(st, "A") != 0;
    case FB_CV_CANCEL:
        return is_terminal(st);
    case FB_CV_REPLACE:
        return (et && strcmp(et, "5") == 0) || is_terminal(st);
    case FB_CV_STATUS:
        return 1;
    case FB_CV_MASS_CANCEL:
    case FB_CV_MASS_STATUS:
    case FB_CV_SEND:
    case FB_CV_EXPECT:
    case FB_CV_EXPECT_NONE:
    case FB_CV_WAIT_FOR:
    case FB_CV_SLEEP:
    case FB_CV_ADMIN:
        break;
    }
    return 0;
}

static int run_one(struct client *c, const struct fb_client_cmd *cmd, unsigned wait_ms)
{
    struct fb_client_out out;
    int rc = send_cmd(c, cmd, &out, "");
    if (rc != FB_EXIT_OK)
        return rc;
    long long deadline = now_ms() + wait_ms;
    int seen = 0;
    for (;;) {
        struct entry *e = next_msg(c, deadline);
        if (e == NULL)
            break;
        int f = cmd->verb == FB_CV_SEND ? 0 : finishes(cmd, &out, &e->msg);
        free_entry(e);
        seen = 1;
        if (f)
            return f == 1 ? FB_EXIT_OK : FB_EXIT_FAILURE;
    }
    if (cmd->verb == FB_CV_SEND || (cmd->verb == FB_CV_MASS_STATUS && seen))
        return FB_EXIT_OK;
    fprintf(stderr, "fixbridge client: no final answer within %u.%03u s\n", wait_ms / 1000,
            wait_ms % 1000);
    return FB_EXIT_FAILURE;
}

/* --- scripts -------------------------------------------------------------- */

struct script_line {
    unsigned lineno;
    char text[256]; /* for failure messages */
    struct fb_client_cmd cmd;
};

static int load_script(const char *path, struct script_line **out, size_t *n)
{
    FILE *f = fopen(path, "r");
    char buf[FB_CLIENT_LINE_MAX + 2], err[256];
    char *words[FB_CLIENT_MAX_WORDS];
    size_t nwords, cap = 0;
    unsigned lineno = 0;
    int rc = FB_EXIT_OK;

    *out = NULL;
    *n = 0;
    if (f == NULL) {
        fprintf(stderr, "fixbridge client: %s: %s\n", path, strerror(errno));
        return FB_EXIT_USAGE;
    }
    while (fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t len = strlen(buf);
        if (len > FB_CLIENT_LINE_MAX && buf[len - 1] != '\n') {
            fprintf(stderr, "%s:%u: line longer than %d bytes\n", path, lineno,
                    FB_CLIENT_LINE_MAX);
            rc = FB_EXIT_USAGE;
            goto out;
        }
        char text[256];
        snprintf(text, sizeof text, "%.*s", (int)strcspn(buf, "\r\n"), buf);
        if (fb_client_split(buf, words, FB_CLIENT_MAX_WORDS, &nwords, err, sizeof err) != FB_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
            rc = FB_EXIT_USAGE;
            goto out;
        }
        if (nwords == 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct script_line *p = realloc(*out, cap * sizeof *p);
            if (p == NULL) {
                fprintf(stderr, "fixbridge client: out of memory\n");
                rc = FB_EXIT_FAILURE;
                goto out;
            }
            *out = p;
        }
        struct script_line *sl = &(*out)[*n];
        sl->lineno = lineno;
        memcpy(sl->text, text, sizeof sl->text);
        if (fb_client_parse((int)nwords, words, 1, &sl->cmd, err, sizeof err) != FB_OK) {
            fprintf(stderr, "%s:%u: %s\n", path, lineno, err);
            rc = FB_EXIT_USAGE;
            goto out;
        }
        (*n)++;
    }
out:
    fclose(f);
    return rc;
}

static int expect_failed(struct client *c, const char *path, const struct script_line *sl,
                         const struct fb_client_msg *m, const char *why)
{
    char line[4096];
    fprintf(stderr, "%s:%u: expectation failed: %s\n", path, sl->lineno, sl->text);
    fb_client_format_expect(&sl->cmd, c->fix44, line, sizeof line);
    fprintf(stderr, "  expected: %s\n", line);
    if (m) {
        fb_client_format(m, line, sizeof line);
        fprintf(stderr, "  actual:   %s\n", line);
    }
    fprintf(stderr, "  %s\n", why);
    return FB_EXIT_EXPECT;
}

/* One admin line: the request, its answer printed, judged by its status. */
static int run_admin(struct client *c, const char *path, const struct script_line *sl)
{
    const struct fb_client_cmd *cmd = &sl->cmd;
    char values[FB_CLIENT_MAX_PARAMS][FB_CLIENT_VAL_MAX], url[FB_ADMIN_URL_MAX], err[512];
    const char *keys[FB_CLIENT_MAX_PARAMS], *vals[FB_CLIENT_MAX_PARAMS];
    struct fb_admin_answer ans;

    pump(c, now_ms(), 0); /* what arrived before is printed first, and can be referred to */
    for (size_t i = 0; i < cmd->nparams; i++) {
        if (fb_client_expand(cmd->params[i].value, c->ids, seen_value, c, values[i],
                             sizeof values[i], err, sizeof err) != FB_OK) {
            fprintf(stderr, "%s:%u: %s\n  %s\n", path, sl->lineno, sl->text, err);
            return FB_EXIT_EXPECT;
        }
        keys[i] = cmd->params[i].key;
        vals[i] = values[i];
    }
    if (fb_admin_url(c->admin.host, c->admin.port, cmd->path, keys, vals, cmd->nparams, url,
                     sizeof url) != FB_OK) {
        fprintf(stderr, "%s:%u: the URL is longer than %d characters\n", path, sl->lineno,
                FB_ADMIN_URL_MAX - 1);
        return FB_EXIT_USAGE;
    }
    printf("> admin %s %s\n", cmd->method, strchr(url + 7, '/'));
    fflush(stdout);
    enum fb_err e = fb_admin_request(&c->admin, cmd->method, url, &ans, err, sizeof err);
    if (e != FB_OK) {
        fprintf(stderr, "%s:%u: %s\n  %s\n", path, sl->lineno, sl->text, err);
        return e == FB_ERR_IO ? FB_EXIT_CONNECT : FB_EXIT_FAILURE;
    }
    size_t blen = strlen(ans.body);
    printf("< admin %ld %s%s", ans.status, ans.body,
           blen && ans.body[blen - 1] == '\n' ? "" : "\n");
    fflush(stdout);
    int rc = FB_EXIT_OK;
    if (ans.status < 200 || ans.status > 299) {
        fprintf(stderr, "%s:%u: admin request failed: %s\n  HTTP %ld: %s\n", path, sl->lineno,
                sl->text, ans.status, ans.body);
        rc = FB_EXIT_EXPECT;
    }
    fb_admin_answer_free(&ans);
    return rc;
}

static int run_script(struct client *c, const char *path, const struct script_line *lines,
                      size_t n)
{
    char where[300], why[1024];
    for (size_t i = 0; i < n; i++) {
        const struct script_line *sl = &lines[i];
        const struct fb_client_cmd *cmd = &sl->cmd;
        unsigned tmo = cmd->timeout_ms ? cmd->timeout_ms : FB_CLIENT_DEFAULT_TIMEOUT_MS;
        struct entry *e;
        switch (cmd->verb) {
        case FB_CV_SLEEP:
            pump(c, now_ms() + cmd->timeout_ms, 0);
            break;
        case FB_CV_EXPECT_NONE:
            pump(c, now_ms() + cmd->timeout_ms, 0);
            if (c->pending) {
                fb_client_match(cmd, &c->pending->msg, c->ids, why, sizeof why);
                return expect_failed(c, path, sl, &c->pending->msg, "a message arrived");
            }
            break;
        case FB_CV_EXPECT:
            e = next_msg(c, now_ms() + tmo);
            if (e == NULL) {
                snprintf(why, sizeof why, "no message within %u.%03u s", tmo / 1000,
                         tmo % 1000);
                return expect_failed(c, path, sl, NULL, why);
            }
            if (!fb_client_match(cmd, &e->msg, c->ids, why, sizeof why)) {
                int rc = expect_failed(c, path, sl, &e->msg, why);
                free_entry(e);
                return rc;
            }
            free_entry(e);
            break;
        case FB_CV_WAIT_FOR: {
            long long deadline = now_ms() + tmo;
            for (;;) {
                e = next_msg(c, deadline);
                if (e == NULL) {
                    snprintf(why, sizeof why, "no matching message within %u.%03u s",
                             tmo / 1000, tmo % 1000);
                    return expect_failed(c, path, sl, NULL, why);
                }
                int ok = fb_client_match(cmd, &e->msg, c->ids, why, sizeof why);
                free_entry(e);
                if (ok)
                    break;
            }
            break;
        }
        case FB_CV_ADMIN: {
            int rc = run_admin(c, path, sl);
            if (rc != FB_EXIT_OK)
                return rc;
            break;
        }
        case FB_CV_NEW:
        case FB_CV_CANCEL:
        case FB_CV_REPLACE:
        case FB_CV_STATUS:
        case FB_CV_MASS_CANCEL:
        case FB_CV_MASS_STATUS:
        case FB_CV_SEND: {
            struct fb_client_out out;
            snprintf(where, sizeof where, "%s:%u: ", path, sl->lineno);
            int rc = send_cmd(c, cmd, &out, where);
            if (rc != FB_EXIT_OK)
                return rc;
            break;
        }
        }
    }
    /* Show what is still arriving for a moment, without judging it. */
    pump(c, now_ms() + 200, 0);
    return FB_EXIT_OK;
}

/* --- setup ------------------------------------------------------------------ */

static int parse_seconds_opt(const char *name, const char *v, unsigned *ms)
{
    struct fb_client_cmd tmp;
    char verb[] = "sleep";
    char *words[2] = {verb, (char *)(uintptr_t)v};
    char err[128];
    if (fb_client_parse(2, words, 1, &tmp, err, sizeof err) != FB_OK) {
        fprintf(stderr, "fixbridge client: %s: %s\n", name, err);
        return -1;
    }
    *ms = tmp.timeout_ms;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"session", required_argument, NULL, 's'},
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'P'},
        {"admin-port", required_argument, NULL, 'A'},
        {"script", required_argument, NULL, 'S'},
        {"wait", required_argument, NULL, 'w'},
        {"connect-timeout", required_argument, NULL, 'T'},
        {"id-prefix", required_argument, NULL, 'I'},
        {"password-env", required_argument, NULL, 'E'},
        {"dictionary", required_argument, NULL, 'D'},
        {"no-reset", no_argument, NULL, 'R'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    memset(o, 0, sizeof *o);
    o->wait_ms = FB_CLIENT_DEFAULT_TIMEOUT_MS;
    o->connect_ms = FB_CLIENT_DEFAULT_TIMEOUT_MS;
    o->id_prefix = "";
    optind = 1;
    /* '+': stop at the first command word, so "limit" etc. stay commands. */
    while ((ch = getopt_long(argc, argv, "+c:s:w:vh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            o->config = optarg;
            break;
        case 's':
            o->session = optarg;
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'P': {
            char *end;
            o->port = strtol(optarg, &end, 10);
            if (*end != '\0' || o->port <= 0 || o->port > 65535) {
                fprintf(stderr, "fixbridge client: --port: '%s' is not a port\n", optarg);
                return -1;
            }
            break;
        }
        case 'A': {
            char *end;
            o->admin_port = strtol(optarg, &end, 10);
            if (*end != '\0' || o->admin_port <= 0 || o->admin_port > 65535) {
                fprintf(stderr, "fixbridge client: --admin-port: '%s' is not a port\n", optarg);
                return -1;
            }
            break;
        }
        case 'S':
            o->script = optarg;
            break;
        case 'w':
            if (parse_seconds_opt("--wait", optarg, &o->wait_ms) != 0)
                return -1;
            break;
        case 'T':
            if (parse_seconds_opt("--connect-timeout", optarg, &o->connect_ms) != 0)
                return -1;
            break;
        case 'I':
            o->id_prefix = optarg;
            break;
        case 'E':
            o->password_env = optarg;
            break;
        case 'D':
            o->dictionary = optarg;
            break;
        case 'R':
            o->no_reset = 1;
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (o->config == NULL) {
        fprintf(stderr, "fixbridge client: -c CONFIG is required (see --help)\n");
        return -1;
    }
    if ((o->script != NULL) == (optind < argc)) {
        fprintf(stderr, "fixbridge client: give either a command or --script FILE\n");
        return -1;
    }
    return 0;
}

/* Fills the initiator config from the bridge's session, mirrored. */
static int session_to_initiator(const struct options *o, const struct fb_session_cfg *s,
                                struct fb_fix_initiator_cfg *ic)
{
    memset(ic, 0, sizeof *ic);
    ic->begin_string = fb_fix_version_name(s->fix_version);
    ic->sender_comp_id = s->target_comp_id; /* we are the OMS */
    ic->target_comp_id = s->sender_comp_id;
    ic->host = o->host ? o->host : s->listen;
    /* A bridge listening on every interface is reached on loopback. */
    if (o->host == NULL && strcmp(s->listen, "0.0.0.0") == 0)
        ic->host = "127.0.0.1";
    if (o->host == NULL && strcmp(s->listen, "::") == 0)
        ic->host = "::1";
    long port = o->port ? o->port : (long)s->port;
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "fixbridge client: session %s listens on a free port (0): give --port\n",
                s->name);
        return FB_EXIT_USAGE;
    }
    ic->port = (uint16_t)port;
    int hb = 30;
    if (s->heartbeat_max_s && (unsigned)hb > s->heartbeat_max_s)
        hb = (int)s->heartbeat_max_s;
    if (s->heartbeat_min_s && (unsigned)hb < s->heartbeat_min_s)
        hb = (int)s->heartbeat_min_s;
    ic->heartbeat_s = hb;
    ic->reset_on_logon = !o->no_reset;
    ic->reconnect_s = 1;
    ic->dictionary = o->dictionary;
    if (s->tls.present) {
        fprintf(stderr, "fixbridge client: session %s uses TLS, which the client does not "
                        "speak yet\n", s->name);
        return FB_EXIT_CONFIG;
    }
    if (s->credentials.present) {
        const char *env = o->password_env ? o->password_env : s->credentials.password_env;
        ic->username = s->credentials.username;
        if (env == NULL) {
            fprintf(stderr, "fixbridge client: session %s checks a password hash; name the "
                            "variable holding the password with --password-env\n", s->name);
            return FB_EXIT_CONFIG;
        }
        ic->password = getenv(env);
        if (ic->password == NULL) {
            /* The name only: the value is a secret. */
            fprintf(stderr, "fixbridge client: environment variable %s (the Logon password) "
                            "is not set\n", env);
            return FB_EXIT_CONFIG;
        }
    }
    return FB_EXIT_OK;
}

static int connect_and_logon(struct client *c, const struct fb_fix_initiator_cfg *ic,
                             unsigned connect_ms)
{
    static const struct fb_fix_initiator_callbacks cb0 = {0};
    struct fb_fix_initiator_callbacks cb = cb0;
    char *err = NULL;

    cb.user = c;
    cb.on_logon = on_logon;
    cb.on_logout = on_logout;
    cb.on_app = on_app;
    cb.on_admin = on_admin;
    cb.on_raw = c->verbose ? on_raw : NULL;
    c->ini = fb_fix_initiator_new(ic, &cb, &err);
    if (c->ini == NULL || fb_fix_initiator_start(c->ini, &err) != FB_OK) {
        fprintf(stderr, "fixbridge client: %s\n", err ? err : "cannot start the initiator");
        free(err);
        return FB_EXIT_STARTUP;
    }
    long long deadline = now_ms() + connect_ms;
    pthread_mutex_lock(&c->mu);
    /* Failed connection attempts are retried until the deadline; only a
     * refusal ends the wait early. */
    while (!c->logged_on && !c->refused && now_ms() < deadline)
        wait_until(c, deadline);
    int ok = c->logged_on;
    pthread_mutex_unlock(&c->mu);
    pump(c, now_ms(), 0); /* a Logout with the refusal's Text, verbose events */
    if (!ok) {
        fprintf(stderr, "fixbridge client: %s %s -> %s at %s:%u: %s\n", ic->begin_string,
                ic->sender_comp_id, ic->target_comp_id, ic->host, (unsigned)ic->port,
                c->refused ? "logon refused" : "could not connect and log on in time");
        return FB_EXIT_CONNECT;
    }
    fprintf(stderr, "fixbridge client: logged on %s %s -> %s at %s:%u\n", ic->begin_string,
            ic->sender_comp_id, ic->target_comp_id, ic->host, (unsigned)ic->port);
    return FB_EXIT_OK;
}

int fb_cmd_client(int argc, char **argv)
{
    struct options o;
    struct fb_config *cfg = NULL;
    struct script_line *lines = NULL;
    size_t nlines = 0;
    struct fb_client_cmd one;
    struct fb_fix_initiator_cfg ic;
    struct client c;
    char *err = NULL, perr[256];
    int rc;

    memset(&c, 0, sizeof c);
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    int po = parse_options(argc, argv, &o);
    if (po != 0) {
        rc = po > 0 ? FB_EXIT_OK : FB_EXIT_USAGE;
        goto out;
    }
    /* Syntax errors are reported before anything connects. */
    if (o.script) {
        rc = load_script(o.script, &lines, &nlines);
        if (rc != FB_EXIT_OK)
            goto out;
    } else if (fb_client_parse(argc - optind, argv + optind, 0, &one, perr, sizeof perr) !=
               FB_OK) {
        fprintf(stderr, "fixbridge client: %s\n", perr);
        rc = FB_EXIT_USAGE;
        goto out;
    }
    if (fb_config_load(o.config, &cfg, &err) != FB_OK) {
        fprintf(stderr, "%s\n", err ? err : "fixbridge client: cannot load the config");
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    const struct fb_session_cfg *s = NULL;
    for (size_t i = 0; i < cfg->nsessions && s == NULL; i++)
        if (o.session == NULL || strcmp(cfg->sessions[i].name, o.session) == 0)
            s = &cfg->sessions[i];
    if (s == NULL) {
        fprintf(stderr, "fixbridge client: %s: no session %s\n", o.config,
                o.session ? o.session : "at all");
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    rc = session_to_initiator(&o, s, &ic);
    if (rc != FB_EXIT_OK)
        goto out;
    for (size_t i = 0; i < nlines; i++) {
        for (size_t k = 0; k < lines[i].cmd.nparams; k++)
            if (lines[i].cmd.params[k].value[0] == '$')
                c.keep_seen = 1; /* only then is every message kept */
    }
    for (size_t i = 0; i < nlines; i++) {
        if (lines[i].cmd.verb != FB_CV_ADMIN)
            continue;
        /* Before logging on: a script that cannot reach the endpoint stops here. */
        if (fb_admin_target_from_config(cfg, (unsigned)o.admin_port, NULL, &c.admin, perr,
                                        sizeof perr) != FB_OK) {
            fprintf(stderr, "fixbridge client: %s:%u: %s\n", o.script, lines[i].lineno, perr);
            rc = FB_EXIT_CONFIG;
            goto out;
        }
        break;
    }
    c.verbose = o.verbose;
    c.fix44 = s->fix_version == FB_FIX_44;
    c.ids = calloc(1, sizeof *c.ids);
    if (c.ids == NULL) {
        rc = FB_EXIT_FAILURE;
        goto out;
    }
    snprintf(c.ids->prefix, sizeof c.ids->prefix, "%s", o.id_prefix);
    /* Generated names are unique per run (time and pid) so a rerun never
     * trips the bridge's duplicate-ClOrdID check, and deterministic within
     * it (a counter). */
    snprintf(c.ids->gen, sizeof c.ids->gen, "fbc%lx%lx-", (unsigned long)time(NULL),
             (unsigned long)getpid() & 0xfffUL);
    rc = connect_and_logon(&c, &ic, o.connect_ms);
    if (rc != FB_EXIT_OK)
        goto out;
    rc = o.script ? run_script(&c, o.script, lines, nlines) : run_one(&c, &one, o.wait_ms);
out:
    if (c.ini) {
        fb_fix_initiator_stop(c.ini, 2000);
        fb_fix_initiator_free(c.ini);
    }
    /* Our own Logout's answer and the disconnect are not news: drop them. */
    while (c.head) {
        struct entry *e = c.head;
        c.head = e->next;
        free_entry(e);
    }
    while (c.pending) {
        struct entry *e = c.pending;
        c.pending = e->next;
        free_entry(e);
    }
    while (c.seen) {
        struct seen *sn = c.seen;
        c.seen = sn->next;
        fb_client_msg_free(&sn->msg);
        free(sn);
    }
    free(c.ids);
    free(lines);
    free(err);
    fb_config_free(cfg);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
    return rc;
}

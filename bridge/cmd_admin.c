/*
 * cmd_admin.c -- `fixbridge admin`: asks a running bridge's admin endpoint
 * (bridge/admin.h) for its health, metrics, sessions or orders, engages or
 * releases a kill switch, starts a new trading day, or moves a paper venue
 * (sim controls), and prints the answer. The endpoint's address
 * and bearer token come from the same YAML config the bridge runs on.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/admin_client.h"
#include "bridge/cli.h"
#include "config/config.h"

static void usage(FILE *out)
{
    fputs("usage: fixbridge admin -c CONFIG [--port N] [--token-env VAR] REQUEST\n"
          "\n"
          "Asks a running bridge's admin endpoint (the config's admin: section) and\n"
          "prints its answer.\n"
          "\n"
          "requests:\n"
          "  health                            GET /health\n"
          "  metrics                           GET /metrics (Prometheus text)\n"
          "  sessions                          GET /sessions\n"
          "  orders [--all]                    GET /orders?state=open (all: also done ones)\n"
          "  kill SCOPE [NAME]                 POST /kill: cancel the open orders in scope at\n"
          "                                    their venues and refuse new ones until\n"
          "                                    released; SCOPE session|account|venue NAME,\n"
          "                                    or all (no NAME)\n"
          "  release SCOPE [NAME]              POST /release: lift that kill switch\n"
          "  kills                             GET /kill: the kill switches engaged\n"
          "  orphans                           GET /orphans: venue orders found at start that\n"
          "                                    the journal did not know\n"
          "  new-day                           POST /new-day: start the next trading day now\n"
          "                                    (finished orders forgotten, journal compacted)\n"
          "  sim-price VENUE SYMBOL PRICE      POST /sim/price: move a sim venue's reference\n"
          "  sim-cancel VENUE ORDER_ID         POST /sim/cancel: the sim venue cancels the\n"
          "                                    order (OrderID(37)) on its own\n"
          "(sim-* need admin.sim_control: true in the bridge's config)\n"
          "\n"
          "options:\n"
          "  -c, --config FILE     the bridge's YAML config (required)\n"
          "  -p, --port N          the endpoint's port (default: admin.port; needed when\n"
          "                        that is 0: see `run --ports-file`)\n"
          "      --token-env VAR   bearer token from VAR (default: admin.token_env)\n"
          "  -h, --help            this text\n"
          "\n"
          "exit codes: 0 ok, 1 the endpoint answered with an error, 2 usage, 3 config,\n"
          "6 could not connect.\n",
          out);
}

/* What a request word means: method, path, and its positional arguments
 * (as query keys); the last `optional` of them may be left out. */
static const struct {
    const char *word;
    const char *method;
    const char *path;
    const char *keys[3];
    size_t optional;
} requests[] = {
    {"health", "GET", "/health", {NULL, NULL, NULL}, 0},
    {"metrics", "GET", "/metrics", {NULL, NULL, NULL}, 0},
    {"sessions", "GET", "/sessions", {NULL, NULL, NULL}, 0},
    {"orders", "GET", "/orders", {NULL, NULL, NULL}, 0},
    {"kill", "POST", "/kill", {"scope", "name", NULL}, 1},
    {"release", "POST", "/release", {"scope", "name", NULL}, 1},
    {"kills", "GET", "/kill", {NULL, NULL, NULL}, 0},
    {"orphans", "GET", "/orphans", {NULL, NULL, NULL}, 0},
    {"new-day", "POST", "/new-day", {NULL, NULL, NULL}, 0},
    {"sim-price", "POST", "/sim/price", {"venue", "symbol", "price"}, 0},
    {"sim-cancel", "POST", "/sim/cancel", {"venue", "order_id", NULL}, 0},
};

/* kill/release: the engine refuses a bad scope too, but a typo is a usage
 * error here, before any connection. Scope all covers everything and
 * takes no NAME; the others need one. */
static int check_kill_args(const char *word, int nargs, char *const *args)
{
    static const char *const scopes[] = {"session", "account", "venue", "all"};
    size_t i = 0;
    while (i < sizeof scopes / sizeof scopes[0] && strcmp(scopes[i], args[0]) != 0)
        i++;
    if (i == sizeof scopes / sizeof scopes[0]) {
        fprintf(stderr, "fixbridge admin: %s: scope '%s': want session, account, venue or all\n",
                word, args[0]);
        return -1;
    }
    if (strcmp(args[0], "all") == 0 && nargs != 1) {
        fprintf(stderr, "fixbridge admin: %s all takes no NAME\n", word);
        return -1;
    }
    if (strcmp(args[0], "all") != 0 && nargs != 2) {
        fprintf(stderr, "fixbridge admin: %s %s needs a NAME\n", word, args[0]);
        return -1;
    }
    return 0;
}

int fb_cmd_admin(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"port", required_argument, NULL, 'p'},
        {"token-env", required_argument, NULL, 'T'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *token_env = NULL;
    long port = 0;
    int all = 0, ch;

    optind = 1;
    /* Options may follow the request word (orders --all). */
    while ((ch = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'p': {
            char *end;
            port = strtol(optarg, &end, 10);
            if (*end != '\0' || port <= 0 || port > 65535) {
                fprintf(stderr, "fixbridge admin: --port: '%s' is not a port\n", optarg);
                return FB_EXIT_USAGE;
            }
            break;
        }
        case 'T':
            token_env = optarg;
            break;
        case 'a':
            all = 1;
            break;
        case 'h':
            usage(stdout);
            return FB_EXIT_OK;
        default:
            usage(stderr);
            return FB_EXIT_USAGE;
        }
    }
    if (config == NULL) {
        fprintf(stderr, "fixbridge admin: -c CONFIG is required (see --help)\n");
        return FB_EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr, "fixbridge admin: say what to ask (see --help)\n");
        return FB_EXIT_USAGE;
    }
    size_t r = 0, nreq = sizeof requests / sizeof requests[0];
    while (r < nreq && strcmp(requests[r].word, argv[optind]) != 0)
        r++;
    if (r == nreq) {
        fprintf(stderr, "fixbridge admin: '%s' is not a request (see --help)\n", argv[optind]);
        return FB_EXIT_USAGE;
    }
    size_t nkeys = 0;
    while (nkeys < 3 && requests[r].keys[nkeys])
        nkeys++;
    int nargs = argc - optind - 1;
    size_t nmin = nkeys - requests[r].optional;
    if (nargs < (int)nmin || nargs > (int)nkeys ||
        (all && strcmp(requests[r].word, "orders") != 0)) {
        if (nmin == nkeys)
            fprintf(stderr, "fixbridge admin: %s takes %zu argument%s%s (see --help)\n",
                    requests[r].word, nkeys, nkeys == 1 ? "" : "s",
                    strcmp(requests[r].word, "orders") == 0 ? " and --all" : "");
        else
            fprintf(stderr, "fixbridge admin: %s takes %zu to %zu arguments (see --help)\n",
                    requests[r].word, nmin, nkeys);
        return FB_EXIT_USAGE;
    }
    if (!strcmp(requests[r].path, "/kill") || !strcmp(requests[r].path, "/release")) {
        if (nkeys > 0 && check_kill_args(requests[r].word, nargs, argv + optind + 1) != 0)
            return FB_EXIT_USAGE;
    }
    const char *keys[3], *vals[3];
    size_t n = 0;
    for (; n < (size_t)nargs; n++) {
        keys[n] = requests[r].keys[n];
        vals[n] = argv[optind + 1 + (int)n];
    }
    if (strcmp(requests[r].word, "orders") == 0) {
        keys[n] = "state";
        vals[n++] = all ? "all" : "open";
    }

    struct fb_config *cfg = NULL;
    char *cerr = NULL, err[512], url[FB_ADMIN_URL_MAX];
    struct fb_admin_target t;
    struct fb_admin_answer ans;
    int rc;
    if (fb_config_load(config, &cfg, &cerr) != FB_OK) {
        fprintf(stderr, "%s\n", cerr ? cerr : "fixbridge admin: cannot load the config");
        free(cerr);
        return FB_EXIT_CONFIG;
    }
    if (fb_admin_target_from_config(cfg, (unsigned)port, token_env, &t, err, sizeof err) != FB_OK) {
        fprintf(stderr, "fixbridge admin: %s\n", err);
        rc = FB_EXIT_CONFIG;
        goto out;
    }
    if (fb_admin_url(t.host, t.port, requests[r].path, keys, vals, n, url, sizeof url) != FB_OK) {
        fprintf(stderr, "fixbridge admin: the URL is longer than %d characters\n",
                FB_ADMIN_URL_MAX - 1);
        rc = FB_EXIT_USAGE;
        goto out;
    }
    enum fb_err e = fb_admin_request(&t, requests[r].method, url, &ans, err, sizeof err);
    if (e != FB_OK) {
        fprintf(stderr, "fixbridge admin: %s\n", err);
        rc = e == FB_ERR_IO ? FB_EXIT_CONNECT : FB_EXIT_FAILURE;
        goto out;
    }
    size_t blen = strlen(ans.body);
    const char *nl = blen && ans.body[blen - 1] == '\n' ? "" : "\n";
    if (ans.status >= 200 && ans.status <= 299) {
        printf("%s%s", ans.body, nl);
        rc = FB_EXIT_OK;
    } else {
        fprintf(stderr, "fixbridge admin: HTTP %ld: %s%s", ans.status, ans.body, nl);
        rc = FB_EXIT_FAILURE;
    }
    fb_admin_answer_free(&ans);
out:
    free(cerr);
    fb_config_free(cfg);
    return rc;
}

/*
 * fixbridge -- one binary, subcommands in the manner of git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cli.h"

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"run", fb_cmd_run, "run the bridge (FIX acceptor, order engine, venues)"},
    {"check-config", fb_cmd_check_config, "validate a config file and print what it sets"},
    {"client", fb_cmd_client, "a FIX initiator to send orders to a bridge and script tests"},
    {"admin", fb_cmd_admin, "ask a running bridge's admin endpoint (orders, metrics, sim)"},
    {"venue-sim", fb_cmd_venue_sim, "a Binance REST venue simulator on 127.0.0.1, for tests"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: fixbridge <command> [options]\n\ncommands:\n");
    for (const struct subcommand *s = subcommands; s->name; s++)
        fprintf(out, "  %-14s %s\n", s->name, s->summary);
    fprintf(out, "\n'fixbridge <command> --help' describes a command.\n"
                 "\nexit codes: 0 ok, 1 runtime failure, 2 usage, 3 bad config, 4 could not\n"
                 "start, 5 client expectation failed, 6 client could not connect\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FB_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return FB_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("fixbridge %s\n", FB_VERSION);
        return FB_EXIT_OK;
    }
    for (const struct subcommand *s = subcommands; s->name; s++) {
        if (!strcmp(argv[1], s->name))
            return s->fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "fixbridge: '%s' is not a command\n", argv[1]);
    usage(stderr);
    return FB_EXIT_USAGE;
}

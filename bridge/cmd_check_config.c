/* fixbridge check-config: a dry run of the config loader. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/cli.h"
#include "config/config.h"

static void check_usage(FILE *out)
{
    fprintf(out, "usage: fixbridge check-config -c FILE [-q]\n"
                 "\n"
                 "Loads FILE, reports every problem as file:line:col: key: reason and\n"
                 "exits 3 if there is any; otherwise prints the effective settings\n"
                 "(defaults included, secrets only by the name of their variable).\n"
                 "  -c, --config FILE   the YAML config\n"
                 "  -q, --quiet         print nothing on success\n");
}

int fb_cmd_check_config(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = NULL;
    int quiet = 0, c;
    struct fb_config *cfg = NULL;
    char *err = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            check_usage(stdout);
            return FB_EXIT_OK;
        default:
            check_usage(stderr);
            return FB_EXIT_USAGE;
        }
    }
    if (!path || optind != argc) {
        check_usage(stderr);
        return FB_EXIT_USAGE;
    }
    if (fb_config_load(path, &cfg, &err) != FB_OK) {
        fprintf(stderr, "%s", err ? err : "config: unknown error\n");
        if (err && err[0] && err[strlen(err) - 1] != '\n')
            fputc('\n', stderr);
        free(err);
        return FB_EXIT_CONFIG;
    }
    if (!quiet) {
        if (fb_config_dump(cfg, stdout) != FB_OK) {
            fb_config_free(cfg);
            return FB_EXIT_FAILURE;
        }
        printf("%s: OK\n", path);
    }
    fb_config_free(cfg);
    return FB_EXIT_OK;
}

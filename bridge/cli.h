/*
 * The fixbridge command line: subcommands in the manner of git, each an
 * `int fb_cmd_NAME(int argc, char **argv)` where argv[0] is the subcommand's
 * name. They return one of the stable exit codes below (documented in the
 * README; numbers never change meaning).
 */
#ifndef FB_CLI_H
#define FB_CLI_H

enum fb_exit {
    FB_EXIT_OK = 0,       /* success */
    FB_EXIT_FAILURE = 1,  /* runtime failure after a successful start */
    FB_EXIT_USAGE = 2,    /* bad command line */
    FB_EXIT_CONFIG = 3,   /* the configuration is invalid */
    FB_EXIT_STARTUP = 4,  /* could not start: bind, files, TLS, dictionaries */
    FB_EXIT_EXPECT = 5,   /* client: an expectation in a script did not hold */
    FB_EXIT_CONNECT = 6   /* client: could not connect or log on */
};

int fb_cmd_run(int argc, char **argv);
int fb_cmd_check_config(int argc, char **argv);
int fb_cmd_client(int argc, char **argv);
int fb_cmd_admin(int argc, char **argv);
int fb_cmd_venue_sim(int argc, char **argv);

#endif

/*
 * Logging: one line per event on stderr, level checked before formatting.
 *
 * Thread safe (each line is one locked stdio write). Never pass a secret:
 * callers log names of environment variables, never their values.
 */
#ifndef FB_LOG_H
#define FB_LOG_H

#include "bridge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum fb_log_level { FB_LOG_DEBUG = 0, FB_LOG_INFO, FB_LOG_WARN, FB_LOG_ERROR, FB_LOG_OFF };

void fb_log_set_level(enum fb_log_level level);
enum fb_log_level fb_log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off". Returns 0 on success. */
int fb_log_level_parse(const char *s, enum fb_log_level *out);

void fb_log_write(enum fb_log_level level, const char *subsys, const char *fmt, ...)
    FB_PRINTF(3, 4);

#define fb_log(level, subsys, ...)                                                                 \
    do {                                                                                           \
        if ((level) >= fb_log_get_level())                                                         \
            fb_log_write((level), (subsys), __VA_ARGS__);                                          \
    } while (0)
#define fb_debug(subsys, ...) fb_log(FB_LOG_DEBUG, subsys, __VA_ARGS__)
#define fb_info(subsys, ...) fb_log(FB_LOG_INFO, subsys, __VA_ARGS__)
#define fb_warn(subsys, ...) fb_log(FB_LOG_WARN, subsys, __VA_ARGS__)
#define fb_error(subsys, ...) fb_log(FB_LOG_ERROR, subsys, __VA_ARGS__)

/*
 * Writes a bounded, printable sample of untrusted bytes into out (always
 * NUL-terminated): SOH becomes '|', other unprintable bytes '.', and a long
 * input keeps its head and tail around "...". For logging garbled input.
 */
void fb_log_sample(const char *in, unsigned long inlen, char *out, unsigned long outlen);

#ifdef __cplusplus
}
#endif
#endif

/*
 * admin_client.h -- the HTTP side of the admin endpoint (bridge/admin.h), for
 * the tools: `fixbridge admin` and the client's `admin` script command. One
 * blocking request at a time through libcurl's easy interface; never used on
 * the engine thread.
 *
 * Query values are percent-encoded here; paths and keys are sent as given.
 */
#ifndef FB_ADMIN_CLIENT_H
#define FB_ADMIN_CLIENT_H

#include <stddef.h>

#include "bridge/error.h"
#include "config/config.h"

#define FB_ADMIN_URL_MAX 1024

/* Where the endpoint is and how to authenticate. */
struct fb_admin_target {
    const char *host;  /* an IPv4 or IPv6 literal (or a name) */
    unsigned port;     /* 1..65535 */
    const char *token; /* bearer token, or NULL */
    unsigned timeout_ms;
};

struct fb_admin_answer {
    long status; /* the HTTP status; 0 if no answer */
    char *body;  /* malloc()ed, NUL-terminated (also when empty); free() it */
    size_t len;
};

/*
 * Builds "http://HOST:PORT/PATH?k=v&..." into out (IPv6 hosts bracketed,
 * each value percent-encoded except [A-Za-z0-9._~-]). keys/values may be
 * NULL when n is 0. FB_ERR_TOO_LARGE if it does not fit in outlen.
 */
enum fb_err fb_admin_url(const char *host, unsigned port, const char *path, const char *const *keys,
                         const char *const *values, size_t n, char *out,
                         size_t outlen) FB_WARN_UNUSED;

/*
 * Makes one request (method "GET" or "POST", no body) to url and fills ans.
 * FB_ERR_IO when no connection could be made (refused, unreachable: nothing
 * listens), FB_ERR_TIMEOUT when the answer did not come in time, FB_ERR_NOMEM;
 * err gets a one-line reason. Any HTTP status is FB_OK: the caller judges it.
 */
enum fb_err fb_admin_request(const struct fb_admin_target *t, const char *method, const char *url,
                             struct fb_admin_answer *ans, char *err, size_t errlen) FB_WARN_UNUSED;

void fb_admin_answer_free(struct fb_admin_answer *ans);

/*
 * Fills t from the config's admin section: listen (0.0.0.0 / :: become
 * loopback), port (port_override when non-zero) and the token from the
 * variable token_env_override or admin.token_env names. FB_ERR_CONFIG
 * with a reason when the config has no admin section and no port override,
 * when the port is 0 (a free port: give the override), or when the token
 * variable is unset (the reason names the variable, never a value).
 */
enum fb_err fb_admin_target_from_config(const struct fb_config *cfg, unsigned port_override,
                                        const char *token_env_override, struct fb_admin_target *t,
                                        char *err, size_t errlen) FB_WARN_UNUSED;

#endif

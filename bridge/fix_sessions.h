/*
 * fix_sessions.h -- turns the loaded config's sessions into the FIX shim's
 * session settings, resolving each password from the environment variable
 * the config names (the only place a secret is read).
 */
#ifndef FB_FIX_SESSIONS_H
#define FB_FIX_SESSIONS_H

#include "config/config.h"
#include "fix/fix_shim.h"

/* Owns the fb_fix_session_cfg array and every string it points to. */
struct fb_fix_sessions {
    struct fb_fix_session_cfg *cfgs;
    size_t n;
    char **strings; /* everything the cfgs point to that we allocated */
    size_t nstrings;
    const char ***allow; /* per session, the allow-list texts */
};

/*
 * Fills *out from cfg. dictionary paths are <dictionary_dir>/FIX44.xml or
 * FIX42.xml; the store and log go under <data_dir>. memory_store forces
 * memory stores (tests). On error (a password variable unset or empty)
 * returns FB_ERR_CONFIG with a message naming the key and the variable.
 * Release with fb_fix_sessions_free().
 */
enum fb_err fb_fix_sessions_build(const struct fb_config *cfg, struct fb_fix_sessions *out,
                                  char **errptr) FB_WARN_UNUSED;
void fb_fix_sessions_free(struct fb_fix_sessions *s);

#endif

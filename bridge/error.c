#include "bridge/error.h"

const char *fb_strerror(enum fb_err err)
{
    /* No default case: with -Wswitch -Werror a new code without text fails
     * the build, which a lookup table would not. */
    switch (err) {
    case FB_OK:
        return "no error";
    case FB_ERR_NOMEM:
        return "out of memory";
    case FB_ERR_INVALID:
        return "invalid argument";
    case FB_ERR_IO:
        return "I/O error";
    case FB_ERR_CONFIG:
        return "configuration error";
    case FB_ERR_FIX:
        return "FIX engine error";
    case FB_ERR_OVERFLOW:
        return "value out of range";
    case FB_ERR_PARSE:
        return "parse error";
    case FB_ERR_NOT_FOUND:
        return "not found";
    case FB_ERR_STATE:
        return "not allowed in the current state";
    case FB_ERR_TOO_LARGE:
        return "input too large";
    case FB_ERR_AUTH:
        return "authentication failed";
    case FB_ERR_TLS:
        return "TLS error";
    case FB_ERR_VENUE:
        return "venue error";
    case FB_ERR_TIMEOUT:
        return "timed out";
    case FB_ERR_UNSUPPORTED:
        return "not supported";
    case FB_ERR_DUPLICATE:
        return "duplicate";
    case FB_ERR_INTERNAL:
        return "internal error";
    case FB_ERR_CORRUPT:
        return "stored data is corrupt";
    case FB_ERR_LAST:
        break;
    }
    return "unknown error";
}

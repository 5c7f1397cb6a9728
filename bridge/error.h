/*
 * fixbridge's one error enum.
 *
 * Numbers are frozen: a code is never renumbered or reused. A retired code
 * stays as FB_ERR_OBSOLETEnn. New codes go at the end, just above
 * FB_ERR_LAST, and get a case in fb_strerror() (error.c has no default case,
 * so -Werror reports a missing one).
 */
#ifndef FB_ERROR_H
#define FB_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum fb_err {
    FB_OK = 0,               /* 0 */
    FB_ERR_NOMEM = 1,        /* 1: allocation failed */
    FB_ERR_INVALID = 2,      /* 2: invalid argument or input */
    FB_ERR_IO = 3,           /* 3: file or socket I/O failed */
    FB_ERR_CONFIG = 4,       /* 4: configuration is invalid */
    FB_ERR_FIX = 5,          /* 5: FIX engine reported an error */
    FB_ERR_OVERFLOW = 6,     /* 6: arithmetic overflow or value out of range */
    FB_ERR_PARSE = 7,        /* 7: text could not be parsed */
    FB_ERR_NOT_FOUND = 8,    /* 8: no such object */
    FB_ERR_STATE = 9,        /* 9: operation not allowed in the current state */
    FB_ERR_TOO_LARGE = 10,   /* 10: input exceeds a fixed maximum */
    FB_ERR_AUTH = 11,        /* 11: authentication failed */
    FB_ERR_TLS = 12,         /* 12: TLS setup or handshake failed */
    FB_ERR_VENUE = 13,       /* 13: venue reported an error */
    FB_ERR_TIMEOUT = 14,     /* 14: operation timed out */
    FB_ERR_UNSUPPORTED = 15, /* 15: not supported */
    FB_ERR_DUPLICATE = 16,   /* 16: duplicate identifier */
    FB_ERR_INTERNAL = 17,    /* 17: internal error (a bug) */
    FB_ERR_CORRUPT = 18,     /* 18: stored data failed its checksum */
    FB_ERR_LAST              /* not a true code, never use this */
};

/* A static, human-readable text for err. Never NULL. */
const char *fb_strerror(enum fb_err err);

#if defined(__GNUC__)
#define FB_WARN_UNUSED __attribute__((warn_unused_result))
#define FB_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FB_WARN_UNUSED
#define FB_PRINTF(fmt, args)
#endif

#ifdef __cplusplus
}
#endif
#endif

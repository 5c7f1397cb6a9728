/*
 * bench_wire.h -- the load generator's own FIX: an exact encoder (BodyLength,
 * CheckSum) and a streaming parser that pulls out only the fields a benchmark
 * reads. No QuickFIX on the client side, so its overhead is not measured.
 */
#ifndef FB_BENCH_WIRE_H
#define FB_BENCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FB_WIRE_SOH '\001'

/* A slice of the receive buffer (not NUL-terminated). */
struct fb_wire_str {
    const char *p;
    size_t n;
};

/* The fields of an inbound message the benchmark looks at. */
struct fb_wire_msg {
    struct fb_wire_str msg_type;  /* 35 */
    struct fb_wire_str cl_ord_id; /* 11 */
    struct fb_wire_str order_id;  /* 37 */
    char exec_type;               /* 150, 0 if absent */
    char ord_status;              /* 39, 0 if absent */
    struct fb_wire_str test_req;  /* 112 */
    struct fb_wire_str text;      /* 58 */
};

/* Formats "YYYYMMDD-HH:MM:SS.sss" (UTC) of the current time into out[22];
 * the date part is cached per second. */
void fb_wire_utc_now(char out[22]);

/* v in decimal at p (up to 20 bytes, no NUL); returns the length. */
size_t fb_wire_put_u64(char *p, uint64_t v);

/*
 * Writes one complete message into out[cap]: 8, 9, 35, 34, 49, 52, 56, then
 * body (already "tag=value<SOH>..." and SOH-terminated), then 10. Returns the
 * length, or 0 if it does not fit.
 */
size_t fb_wire_encode(char *out, size_t cap, const char *begin_string, const char *msg_type,
                      uint64_t seq, const char *sender, const char *target,
                      const char *sending_time, const char *body, size_t body_len);

/*
 * Finds the first complete message in buf[len]. Returns its length and fills
 * *m (slices point into buf); 0 if more bytes are needed; -1 if the stream is
 * not FIX (garbage where "8=" must be, or a bad BodyLength or CheckSum).
 */
long fb_wire_parse(const char *buf, size_t len, struct fb_wire_msg *m);

#endif

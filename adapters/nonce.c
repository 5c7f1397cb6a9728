/* Kraken nonce source (see nonce.h). */
#include "adapters/nonce.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int name_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= 64 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return 0;
    }
    /* "." and ".." would name directories. */
    return n > 0 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static enum fb_err read_lease(const char *path, uint64_t *out)
{
    char buf[32];
    ssize_t r;
    uint64_t v = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FB_ERR_NOT_FOUND : FB_ERR_IO;
    r = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (r <= 0)
        return r < 0 ? FB_ERR_IO : FB_ERR_PARSE;
    buf[r] = '\0';
    size_t i = 0;
    for (; buf[i] >= '0' && buf[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(buf[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return FB_ERR_PARSE;
        v = v * 10 + d;
    }
    if (i == 0 || !(buf[i] == '\n' && buf[i + 1] == '\0'))
        return FB_ERR_PARSE;
    *out = v;
    return FB_OK;
}

static enum fb_err write_lease(const char *path, uint64_t v)
{
    char tmp[FB_NONCE_PATH_MAX + 8], buf[32];
    int len = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)v);
    int fd, ok;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return FB_ERR_TOO_LARGE;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return FB_ERR_IO;
    ok = write(fd, buf, (size_t)len) == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return FB_ERR_IO;
    }
    return FB_OK;
}

enum fb_err fb_nonce_open(struct fb_nonce *n, const char *dir, const char *name)
{
    enum fb_err err;
    uint64_t lease = 0;
    if (!n || !dir || !name || !name_ok(name))
        return FB_ERR_INVALID;
    memset(n, 0, sizeof *n);
    if (snprintf(n->path, sizeof n->path, "%s/%s.nonce", dir, name) >= (int)sizeof n->path)
        return FB_ERR_TOO_LARGE;
    err = read_lease(n->path, &lease);
    if (err == FB_ERR_NOT_FOUND)
        err = FB_OK;
    if (err != FB_OK)
        return err;
    /* Every nonce of an earlier run was < lease, so lease itself is free. */
    n->last = lease ? lease - 1 : 0;
    n->lease = lease;
    return FB_OK;
}

enum fb_err fb_nonce_next(struct fb_nonce *n, int64_t now_ns, uint64_t *out)
{
    uint64_t now_us = now_ns > 0 ? (uint64_t)now_ns / 1000u : 0;
    uint64_t next;
    if (!n || !out || n->last == UINT64_MAX)
        return FB_ERR_INVALID;
    next = now_us > n->last ? now_us : n->last + 1;
    if (next >= n->lease) {
        uint64_t lease =
            next > UINT64_MAX - FB_NONCE_LEASE_US ? UINT64_MAX : next + FB_NONCE_LEASE_US;
        enum fb_err err = write_lease(n->path, lease);
        if (err != FB_OK)
            return err;
        n->lease = lease;
    }
    n->last = next;
    *out = next;
    return FB_OK;
}

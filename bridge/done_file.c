#include "bridge/done_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bridge/dirs.h"
#include "bridge/grow.h"
#include "bridge/log.h"

/* Past this the buffer is written at once, so a long replay or a huge step
 * does not hold the day in memory. */
#define DONE_BUF_FLUSH (1u << 20)
/* An offset is kept as a 32-bit count of FB_DONE_ALIGN units. */
#define DONE_MAX_BYTES ((uint64_t)UINT32_MAX * FB_DONE_ALIGN)

/* "<dir>/<yyyymmdd><ext>" for the UTC day of now_ns (gmtime_r: no time zone
 * lookup). */
static int day_path(const struct fb_done_file *f, int64_t now_ns, char *buf, size_t size)
{
    time_t t = (time_t)(now_ns / 1000000000LL);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
    int n = snprintf(buf, size, "%s/%04d%02d%02d%s", f->dir, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, f->ext);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Removes every *<ext> in f->dir but keep (NULL: all). */
static void remove_days(const struct fb_done_file *f, const char *keep)
{
    DIR *d = opendir(f->dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name), xl = strlen(f->ext);
        char p[4400];
        if (n <= xl || strcmp(de->d_name + n - xl, f->ext) != 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", f->dir, de->d_name);
        if (keep && !strcmp(p, keep))
            continue;
        if (unlink(p) < 0 && errno != ENOENT)
            fb_warn("done", "cannot remove %s: %s", p, strerror(errno));
    }
    closedir(d);
}

enum fb_err fb_done_file_open(struct fb_done_file *f, const char *data_dir, const char *ext,
                              int64_t now_ns, char *errbuf, size_t errlen)
{
    enum fb_err rc = FB_ERR_IO;
    int n;

    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (strlen(ext) >= sizeof f->ext) {
        snprintf(errbuf, errlen, "finished-orders file ending %s: too long", ext);
        rc = FB_ERR_TOO_LARGE;
        goto out;
    }
    memcpy(f->ext, ext, strlen(ext) + 1);
    n = snprintf(f->dir, sizeof f->dir, "%s/done", data_dir);
    if (n < 0 || (size_t)n >= sizeof f->dir) {
        snprintf(errbuf, errlen, "finished-orders directory under %s: too long", data_dir);
        rc = FB_ERR_TOO_LARGE;
        goto out;
    }
    if (fb_mkdir_p(f->dir, 0750, NULL, 0) < 0) {
        snprintf(errbuf, errlen, "cannot create %s: %s", f->dir, strerror(errno));
        goto out;
    }
    if (day_path(f, now_ns, f->path, sizeof f->path) < 0) {
        snprintf(errbuf, errlen, "finished-orders file under %s: bad path", f->dir);
        goto out;
    }
    /* whatever is there is from an earlier run: the replay writes it again */
    remove_days(f, NULL);
    f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (f->fd < 0) {
        snprintf(errbuf, errlen, "cannot open %s: %s", f->path, strerror(errno));
        goto out;
    }
    rc = FB_OK;
out:
    return rc;
}

enum fb_err fb_done_file_rotate(struct fb_done_file *f, int64_t now_ns)
{
    char path[sizeof f->path];
    int fd;

    /* nothing of the old day is wanted any more, written or not */
    f->len = 0;
    f->written = 0;
    if (day_path(f, now_ns, path, sizeof path) < 0 || !strcmp(path, f->path) ||
        (fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
        if (f->fd >= 0 && ftruncate(f->fd, 0) < 0) {
            fb_error("done", "cannot empty %s: %s", f->path, strerror(errno));
            return FB_ERR_IO;
        }
        return FB_OK;
    }
    if (f->fd >= 0)
        close(f->fd);
    f->fd = fd;
    memcpy(f->path, path, sizeof path);
    remove_days(f, f->path);
    return FB_OK;
}

void fb_done_file_close(struct fb_done_file *f)
{
    /* a cache: what is not written is rebuilt at the next start */
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
    f->len = f->cap = 0;
}

uint64_t fb_done_file_end(const struct fb_done_file *f)
{
    return f->written + f->len;
}

enum fb_err fb_done_file_reserve(struct fb_done_file *f, size_t len)
{
    size_t padded = (len + FB_DONE_ALIGN - 1) & ~(size_t)(FB_DONE_ALIGN - 1);

    if (fb_done_file_end(f) + padded > DONE_MAX_BYTES)
        return FB_ERR_TOO_LARGE;
    unsigned char *nb = fb_grow(f->buf, &f->cap, f->len + padded, 65536);
    if (!nb)
        return FB_ERR_NOMEM;
    f->buf = nb;
    return FB_OK;
}

enum fb_err fb_done_file_append(struct fb_done_file *f, const void *rec, size_t len,
                                uint64_t *off)
{
    size_t padded = (len + FB_DONE_ALIGN - 1) & ~(size_t)(FB_DONE_ALIGN - 1);
    enum fb_err rc = fb_done_file_reserve(f, len);

    if (rc != FB_OK)
        return rc;
    *off = fb_done_file_end(f);
    memcpy(f->buf + f->len, rec, len);
    memset(f->buf + f->len + len, 0, padded - len);
    f->len += padded;
    if (f->len >= DONE_BUF_FLUSH)
        (void)fb_done_file_flush(f);
    return FB_OK;
}

enum fb_err fb_done_file_flush(struct fb_done_file *f)
{
    size_t done = 0;
    enum fb_err rc = FB_OK;

    while (done < f->len && f->fd >= 0) {
        ssize_t w = pwrite(f->fd, f->buf + done, f->len - done, (off_t)(f->written + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!f->warned)
                fb_error("done", "cannot write %s: %s; finished orders stay in memory",
                         f->path, w < 0 ? strerror(errno) : "short write");
            f->warned = 1;
            rc = FB_ERR_IO;
            break;
        }
        done += (size_t)w;
    }
    if (f->fd < 0 && f->len)
        rc = FB_ERR_IO;
    /* what was written leaves the buffer; the rest waits for the next try
     * (done is 0 with no buffer yet: no memmove of NULL) */
    if (done)
        memmove(f->buf, f->buf + done, f->len - done);
    f->len -= done;
    f->written += done;
    if (rc == FB_OK && f->warned) {
        fb_info("done", "%s is written again", f->path);
        f->warned = 0;
    }
    return rc;
}

enum fb_err fb_done_file_read(struct fb_done_file *f, uint64_t off, void *dst, size_t len)
{
    unsigned char *p = dst;

    if (off + len > fb_done_file_end(f))
        return FB_ERR_IO;
    while (len && off < f->written) {
        size_t n = off + len <= f->written ? len : (size_t)(f->written - off);
        ssize_t r = pread(f->fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fb_error("done", "cannot read %s at %llu: %s", f->path, (unsigned long long)off,
                     r < 0 ? strerror(errno) : "end of file");
            return FB_ERR_IO;
        }
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    if (len)
        memcpy(p, f->buf + (off - f->written), len);
    return FB_OK;
}

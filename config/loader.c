/*
 * loader.c -- fb_config_load*(): reads the file, builds the YAML tree,
 * applies the key tables and turns collected errors into one message.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/schema.h"
#include "config/yaml_tree.h"

void cfg_error(struct cfg_ctx *ctx, const struct yt_node *node, const char *path, const char *fmt,
               ...)
{
    size_t idx = ctx->nerrs++;
    if (idx >= FB_CONFIG_MAX_ERRORS)
        return; /* counted, not kept */
    unsigned line = node && node->line ? node->line : 1;
    unsigned col = node && node->col ? node->col : 1;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    size_t n = strlen(ctx->file) + strlen(path ? path : "") + strlen(reason) + 48;
    char *msg = malloc(n);
    if (!msg) {
        ctx->nomem = true;
        return;
    }
    if (path && path[0])
        snprintf(msg, n, "%s:%u:%u: %s: %s", ctx->file, line, col, path, reason);
    else
        snprintf(msg, n, "%s:%u:%u: %s", ctx->file, line, col, reason);
    ctx->errs[idx].line = line;
    ctx->errs[idx].col = col;
    ctx->errs[idx].msg = msg;
}

static void set_errptr(char **errptr, char *text)
{
    if (!errptr) {
        free(text);
        return;
    }
    free(*errptr);
    *errptr = text;
}

static char *dup_printf(const char *fmt, ...) FB_PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static int by_position(const void *a, const void *b)
{
    const struct cfg_err *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    /* Ties keep the order found: compare addresses within the one array. */
    return x < y ? -1 : x > y;
}

/* All kept errors, in file order, one per line. */
static char *join_errors(struct cfg_ctx *ctx)
{
    size_t kept = ctx->nerrs < FB_CONFIG_MAX_ERRORS ? ctx->nerrs : FB_CONFIG_MAX_ERRORS;
    size_t total = 64 + strlen(ctx->file);
    for (size_t i = 0; i < kept; i++)
        total += ctx->errs[i].msg ? strlen(ctx->errs[i].msg) + 1 : 0;
    /* qsort is not stable; with ties broken by address on an array that
     * qsort permutes, order among equal positions is unspecified but
     * harmless: such errors are about the same node. */
    qsort(ctx->errs, kept, sizeof ctx->errs[0], by_position);
    char *text = malloc(total);
    if (!text)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < kept; i++)
        if (ctx->errs[i].msg)
            len += (size_t)snprintf(text + len, total - len, "%s\n", ctx->errs[i].msg);
    if (ctx->nerrs > kept)
        snprintf(text + len, total - len, "%s: %zu more errors not shown\n", ctx->file,
                 ctx->nerrs - kept);
    return text;
}

enum fb_err fb_config_load_string(const char *text, const char *filename_for_errors,
                                  const char *base_dir, struct fb_config **out, char **errptr)
{
    const char *file = filename_for_errors ? filename_for_errors : "<config>";
    struct cfg_err errs[FB_CONFIG_MAX_ERRORS] = {{0}};
    struct cfg_ctx ctx = {.file = file, .base_dir = base_dir, .errs = errs};
    struct yt_node *root = NULL;
    struct fb_config *cfg = NULL;
    char perr[256];
    enum fb_err rc;

    size_t len = strlen(text);
    if (len > FB_CONFIG_MAX_BYTES) {
        set_errptr(errptr, dup_printf("%s: larger than %u bytes\n", file, FB_CONFIG_MAX_BYTES));
        return FB_ERR_TOO_LARGE;
    }
    rc = yt_parse(text, len, &root, perr, sizeof perr);
    if (rc == FB_ERR_PARSE) {
        set_errptr(errptr, dup_printf("%s:%s\n", file, perr));
        return FB_ERR_CONFIG;
    }
    if (rc)
        return rc;
    if (!root) {
        set_errptr(errptr, dup_printf("%s:1:1: the file holds no configuration\n", file));
        return FB_ERR_CONFIG;
    }
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        rc = FB_ERR_NOMEM;
        goto out;
    }
    cfg_apply_table(&ctx, &cfg_root_table, root, cfg, "");
    if (!ctx.nomem && ctx.nerrs == 0 && !(cfg->path = strdup(file)))
        ctx.nomem = true;
    if (ctx.nomem) {
        rc = FB_ERR_NOMEM;
        goto out;
    }
    if (ctx.nerrs) {
        char *msg = join_errors(&ctx);
        if (!msg) {
            rc = FB_ERR_NOMEM;
            goto out;
        }
        set_errptr(errptr, msg);
        rc = FB_ERR_CONFIG;
        goto out;
    }
    *out = cfg;
    cfg = NULL;
    rc = FB_OK;
out:
    for (size_t i = 0; i < FB_CONFIG_MAX_ERRORS; i++)
        free(errs[i].msg);
    fb_config_free(cfg);
    yt_free(root);
    return rc;
}

static enum fb_err read_file(const char *path, char **text, char **errptr)
{
    enum fb_err rc = FB_ERR_IO;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        goto fail;
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        goto fail;
    if (st.st_size > (off_t)FB_CONFIG_MAX_BYTES) {
        fclose(f);
        set_errptr(errptr, dup_printf("%s: larger than %u bytes\n", path, FB_CONFIG_MAX_BYTES));
        return FB_ERR_TOO_LARGE;
    }
    /* Read one byte past the limit so a file that grew since fstat is
     * still caught. */
    buf = malloc(FB_CONFIG_MAX_BYTES + 2);
    if (!buf) {
        fclose(f);
        return FB_ERR_NOMEM;
    }
    size_t n = fread(buf, 1, FB_CONFIG_MAX_BYTES + 1, f);
    if (ferror(f))
        goto fail;
    if (n > FB_CONFIG_MAX_BYTES) {
        fclose(f);
        free(buf);
        set_errptr(errptr, dup_printf("%s: larger than %u bytes\n", path, FB_CONFIG_MAX_BYTES));
        return FB_ERR_TOO_LARGE;
    }
    if (memchr(buf, '\0', n)) {
        fclose(f);
        free(buf);
        set_errptr(errptr, dup_printf("%s: contains a NUL byte; not a YAML text file\n", path));
        return FB_ERR_CONFIG;
    }
    buf[n] = '\0';
    fclose(f);
    *text = buf;
    return FB_OK;
fail:
    set_errptr(errptr, dup_printf("%s: cannot read: %s\n", path, strerror(errno)));
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

enum fb_err fb_config_load(const char *path, struct fb_config **out, char **errptr)
{
    char *text = NULL, *copy = NULL, *dir = NULL;
    enum fb_err rc = read_file(path, &text, errptr);
    if (rc)
        return rc;
    /* The directory, made absolute, so resolved paths survive a chdir. */
    copy = strdup(path);
    if (!copy) {
        rc = FB_ERR_NOMEM;
        goto out;
    }
    dir = realpath(dirname(copy), NULL);
    if (!dir) {
        set_errptr(errptr,
                   dup_printf("%s: cannot resolve its directory: %s\n", path, strerror(errno)));
        rc = FB_ERR_IO;
        goto out;
    }
    rc = fb_config_load_string(text, path, dir, out, errptr);
out:
    free(dir);
    free(copy);
    free(text);
    return rc;
}

void fb_config_free(struct fb_config *cfg)
{
    if (!cfg)
        return;
    cfg_free_table(&cfg_root_table, cfg);
    free(cfg->path);
    free(cfg);
}

const struct fb_venue_cfg *fb_config_find_venue(const struct fb_config *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->nvenues; i++)
        if (strcmp(cfg->venues[i].name, name) == 0)
            return &cfg->venues[i];
    return NULL;
}

enum fb_err fb_config_dump(const struct fb_config *cfg, FILE *out)
{
    if (fprintf(out, "config = %s\n", cfg->path ? cfg->path : "(none)") < 0 ||
        !cfg_dump_table(&cfg_root_table, cfg, "", out))
        return FB_ERR_IO;
    return FB_OK;
}

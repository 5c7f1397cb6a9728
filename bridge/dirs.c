#include "bridge/dirs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int fb_mkdir_p(const char *path, mode_t mode, char *failed, size_t failed_size)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf) {
        errno = ENAMETOOLONG;
        if (failed && failed_size)
            snprintf(failed, failed_size, "%s", path);
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST) {
            if (failed && failed_size)
                snprintf(failed, failed_size, "%s", buf);
            return -1;
        }
        buf[i] = saved;
    }
    return 0;
}

/*
 * dirs.h -- creating a directory and its missing parents (mkdir -p), for
 * the data directory, the journal and the finished-orders file.
 */
#ifndef FB_DIRS_H
#define FB_DIRS_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Creates path and every missing parent with mode; existing ones are fine.
 * Returns 0, or -1 with errno set and, if failed is not NULL, the component
 * that could not be made written there (failed_size bytes, NUL-terminated).
 */
int fb_mkdir_p(const char *path, mode_t mode, char *failed, size_t failed_size);

#ifdef __cplusplus
}
#endif
#endif

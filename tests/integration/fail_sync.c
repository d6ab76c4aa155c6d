/*
 * fail_sync.c - an LD_PRELOAD shim for irbusd in tests: once the file named
 * by IRB_FAIL_SYNC_FILE exists, every fsync and fdatasync fails with EIO, as
 * a dying disk makes them fail. Everything else passes through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Exported despite the project's hidden-visibility default: interposing
 * them is the point. */
__attribute__((visibility("default"))) int fsync(int fd);
__attribute__((visibility("default"))) int fdatasync(int fd);

static int
failing(void) {
    const char *f = getenv("IRB_FAIL_SYNC_FILE");

    return f != NULL && access(f, F_OK) == 0;
}

int
fsync(int fd) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

    if (failing()) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

int
fdatasync(int fd) {
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");

    if (failing()) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}

/* The directory backend of the object store (object_store.h): every object
 * is one file under the root (`object_store_dir`), its key the file's path
 * relative to the root.
 *
 * Atomic and durable puts: the bytes go to a temp file `.tmp/put-<random>`
 * under the root (created O_EXCL, so concurrent writers never share one),
 * written chunk by chunk as they come; commit fsyncs the file, creates the
 * key's directories (fsyncing each new directory's parent), renames the temp
 * onto the key and fsyncs the key's directory. rename(2) within one file
 * system is atomic, so a reader sees the old object or the new one, whole,
 * never a part, and after a crash the name holds one or the other. The temp
 * lives in `.tmp/` rather than beside the final name because a
 * content-addressed object's directory is known only after its last byte;
 * the root must therefore be one file system (no mount points inside it).
 * Abort, and any failed commit, unlink the temp. Temps left by a crash are
 * swept at open (those older than a day; younger ones may belong to another
 * process sharing the directory). Keys cannot name anything under `.tmp`
 * (segments never start with '.').
 *
 * Everything is relative to one directory descriptor opened at start (openat
 * and friends), so a later chdir changes nothing; the final component is
 * opened O_NOFOLLOW. Deletes unlink the file, fsync its directory, then
 * remove the directories of the key that became empty, deepest first (an
 * erased voice leaves no `voices/<id>/` behind). A concurrent put may have
 * just made one of them and not yet renamed into it: its mkdir or rename
 * then fails with ENOENT, and the put makes the directories again and
 * retries (PUBLISH_TRIES times). A directory removal is not fsynced: after
 * a crash an empty directory may come back, which is harmless.
 *
 * Thread-safety: the backend's state is the root and temp descriptors, fixed
 * after open; each writer/reader owns its own file descriptor. */
#include "common/object_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMP_DIR ".tmp"
#define STALE_TEMP_SECONDS (24 * 3600)
/* Directory creation + rename attempts of one put, against deletes that
 * remove the same directories in between (see the top). */
#define PUBLISH_TRIES 8

typedef struct {
    int root_fd;
    int tmp_fd;
    char root[4096];
} dir_backend;

typedef struct {
    dir_backend *b;
    int fd;
    char tmp_name[64];
} dir_writer;

typedef struct {
    int fd;
} dir_reader;

static ss_object_status sys_fail(char *err, size_t errlen, const char *what, const char *name,
                                 int e)
{
    if (errlen)
        snprintf(err, errlen, "object store: %s '%s': %s", what, name, strerror(e));
    return e == ENOMEM ? SS_OBJECT_NO_MEMORY : SS_OBJECT_IO;
}

static int fsync_dir_at(int dirfd, const char *path)
{
    int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* fsyncs the directory holding `key` (the root when it has no '/'). */
static int fsync_parent(int root_fd, const char *key)
{
    const char *slash = strrchr(key, '/');
    if (!slash)
        return fsync(root_fd);
    char dir[SS_OBJECT_KEY_MAX + 1];
    memcpy(dir, key, (size_t)(slash - key));
    dir[slash - key] = '\0';
    return fsync_dir_at(root_fd, dir);
}

/* mkdir -p of every directory of `key` below the root; each directory this
 * call creates is made durable by fsyncing its parent. */
static int make_parents(int root_fd, const char *key)
{
    char path[SS_OBJECT_KEY_MAX + 1];
    snprintf(path, sizeof path, "%s", key);
    for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdirat(root_fd, path, 0755) == 0) {
            if (fsync_parent(root_fd, path) != 0)
                return -1;
        } else if (errno != EEXIST)
            return -1;
        *slash = '/';
    }
    return 0;
}

/* Removes temps older than STALE_TEMP_SECONDS (leftovers of a crash). */
static void sweep_stale_temps(int tmp_fd)
{
    int fd = dup(tmp_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strncmp(e->d_name, "put-", 4) != 0 ||
            fstatat(tmp_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (S_ISREG(st.st_mode) && now - st.st_mtime > STALE_TEMP_SECONDS)
            unlinkat(tmp_fd, e->d_name, 0);
    }
    closedir(d);
}

/* mkdir -p of the root itself (a path of the operator's choosing). */
static int make_root(const char *root)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", root);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static ss_object_status dir_open(const ss_settings *settings, void **out, char *err, size_t errlen)
{
    const char *root = settings->object_store_dir;
    if (!*root || strlen(root) >= sizeof((dir_backend *)0)->root) {
        if (errlen)
            snprintf(err, errlen, "object_store_dir must be a directory path (got '%s')", root);
        return SS_OBJECT_BAD_CONFIG;
    }
    if (make_root(root) != 0) {
        sys_fail(err, errlen, "cannot create object_store_dir", root, errno);
        return SS_OBJECT_BAD_CONFIG;
    }
    dir_backend *b = calloc(1, sizeof *b);
    if (!b) {
        if (errlen)
            snprintf(err, errlen, "out of memory");
        return SS_OBJECT_NO_MEMORY;
    }
    snprintf(b->root, sizeof b->root, "%s", root);
    b->tmp_fd = -1;
    b->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ss_object_status st = SS_OBJECT_OK;
    if (b->root_fd < 0)
        st = sys_fail(err, errlen, "cannot open object_store_dir", root, errno);
    else if (faccessat(b->root_fd, ".", W_OK, AT_EACCESS) != 0)
        st = sys_fail(err, errlen, "object_store_dir is not writable", root, errno);
    else if (mkdirat(b->root_fd, TMP_DIR, 0700) != 0 && errno != EEXIST)
        st = sys_fail(err, errlen, "cannot create the temp directory in", root, errno);
    else if ((b->tmp_fd = openat(b->root_fd, TMP_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        st = sys_fail(err, errlen, "cannot open the temp directory in", root, errno);
    if (st != SS_OBJECT_OK) {
        if (b->root_fd >= 0)
            close(b->root_fd);
        free(b);
        return st == SS_OBJECT_IO ? SS_OBJECT_BAD_CONFIG : st;
    }
    sweep_stale_temps(b->tmp_fd);
    *out = b;
    return SS_OBJECT_OK;
}

static void dir_close(void *backend)
{
    dir_backend *b = backend;
    close(b->tmp_fd);
    close(b->root_fd);
    free(b);
}

/* --- puts */

static ss_object_status dir_put_begin(void *backend, const char *key, void **out, char *err,
                                      size_t errlen)
{
    (void)key; /* every temp lives in .tmp/; the key is used at commit */
    dir_backend *b = backend;
    dir_writer *w = calloc(1, sizeof *w);
    if (!w) {
        if (errlen)
            snprintf(err, errlen, "out of memory");
        return SS_OBJECT_NO_MEMORY;
    }
    w->b = b;
    for (int attempt = 0; attempt < 8; attempt++) {
        uint8_t r[12];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            break;
        int n = snprintf(w->tmp_name, sizeof w->tmp_name, "put-");
        for (size_t i = 0; i < sizeof r; i++)
            n += snprintf(w->tmp_name + n, sizeof w->tmp_name - (size_t)n, "%02x", r[i]);
        w->fd = openat(b->tmp_fd, w->tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (w->fd >= 0) {
            *out = w;
            return SS_OBJECT_OK;
        }
        if (errno != EEXIST)
            break;
    }
    int e = errno;
    free(w);
    return sys_fail(err, errlen, "cannot create a temp file in", b->root, e);
}

static ss_object_status dir_put_write(void *writer, const void *data, size_t len, char *err,
                                      size_t errlen)
{
    dir_writer *w = writer;
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sys_fail(err, errlen, "cannot write temp file", w->tmp_name, errno);
        p += n;
        len -= (size_t)n;
    }
    return SS_OBJECT_OK;
}

static ss_object_status dir_put_rewrite(void *writer, uint64_t offset, const void *data, size_t len,
                                        char *err, size_t errlen)
{
    dir_writer *w = writer;
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = pwrite(w->fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return sys_fail(err, errlen, "cannot rewrite temp file", w->tmp_name, n < 0 ? errno : EIO);
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return SS_OBJECT_OK;
}

static void dir_put_abort(void *writer)
{
    dir_writer *w = writer;
    if (w->fd >= 0)
        close(w->fd);
    unlinkat(w->b->tmp_fd, w->tmp_name, 0);
    free(w);
}

/* The steps of a commit after the file is durable: directories, rename,
 * the directory's fsync. `existed` when if_absent and the key is taken. */
static ss_object_status publish(dir_writer *w, const char *key, bool if_absent, bool *existed,
                                char *err, size_t errlen)
{
    dir_backend *b = w->b;
    struct stat st;
    if (if_absent && fstatat(b->root_fd, key, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        *existed = true;
        unlinkat(b->tmp_fd, w->tmp_name, 0);
        /* The other writer may not have fsynced the directory yet. */
        if (fsync_parent(b->root_fd, key) != 0)
            return sys_fail(err, errlen, "cannot fsync the directory of", key, errno);
        return SS_OBJECT_OK;
    }
    for (int tries = 1;; tries++) {
        if (make_parents(b->root_fd, key) != 0) {
            if (errno == ENOENT && tries < PUBLISH_TRIES)
                continue; /* a delete removed a directory we had just made */
            return sys_fail(err, errlen, "cannot create the directories of", key, errno);
        }
        if (renameat(b->tmp_fd, w->tmp_name, b->root_fd, key) == 0)
            break;
        if (errno != ENOENT || tries >= PUBLISH_TRIES)
            return sys_fail(err, errlen, "cannot rename the temp file onto", key, errno);
    }
    if (fsync_parent(b->root_fd, key) != 0)
        return sys_fail(err, errlen, "cannot fsync the directory of", key, errno);
    return SS_OBJECT_OK;
}

static ss_object_status dir_put_commit(void *writer, const char *key, bool if_absent,
                                       bool *existed, char *err, size_t errlen)
{
    dir_writer *w = writer;
    *existed = false;
    ss_object_status st = SS_OBJECT_OK;
    if (fsync(w->fd) != 0)
        st = sys_fail(err, errlen, "cannot fsync temp file for", key, errno);
    int rc = close(w->fd);
    w->fd = -1;
    if (st == SS_OBJECT_OK && rc != 0)
        st = sys_fail(err, errlen, "cannot close temp file for", key, errno);
    if (st == SS_OBJECT_OK)
        st = publish(w, key, if_absent, existed, err, errlen);
    if (st != SS_OBJECT_OK) {
        dir_put_abort(w); /* the temp, if the rename did not take it */
        return st;
    }
    free(w);
    return SS_OBJECT_OK;
}

/* --- reads and deletes */

static bool missing(int e)
{
    return e == ENOENT || e == ENOTDIR;
}

static ss_object_status not_found(const char *key, char *err, size_t errlen)
{
    if (errlen)
        snprintf(err, errlen, "object '%s' not found", key);
    return SS_OBJECT_NOT_FOUND;
}

static ss_object_status dir_stat(void *backend, const char *key, uint64_t *size, char *err,
                                 size_t errlen)
{
    dir_backend *b = backend;
    struct stat st;
    if (fstatat(b->root_fd, key, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return missing(errno) ? not_found(key, err, errlen)
                              : sys_fail(err, errlen, "cannot stat object", key, errno);
    if (!S_ISREG(st.st_mode))
        return not_found(key, err, errlen); /* a directory of keys, not an object */
    if (size)
        *size = (uint64_t)st.st_size;
    return SS_OBJECT_OK;
}

static ss_object_status dir_open_read(void *backend, const char *key, void **out, uint64_t *size,
                                      char *err, size_t errlen)
{
    dir_backend *b = backend;
    int fd = openat(b->root_fd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return missing(errno) || errno == ELOOP ? not_found(key, err, errlen)
                                                : sys_fail(err, errlen, "cannot open object", key, errno);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return not_found(key, err, errlen);
    }
    dir_reader *r = malloc(sizeof *r);
    if (!r) {
        close(fd);
        if (errlen)
            snprintf(err, errlen, "out of memory");
        return SS_OBJECT_NO_MEMORY;
    }
    r->fd = fd;
    *size = (uint64_t)st.st_size;
    *out = r;
    return SS_OBJECT_OK;
}

static ss_object_status dir_read(void *reader, void *buf, size_t cap, size_t *got, char *err,
                                 size_t errlen)
{
    dir_reader *r = reader;
    for (;;) {
        ssize_t n = read(r->fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *got = 0;
            return sys_fail(err, errlen, "cannot read object", "(open reader)", errno);
        }
        *got = (size_t)n;
        return SS_OBJECT_OK;
    }
}

static ss_object_status dir_seek(void *reader, uint64_t offset, char *err, size_t errlen)
{
    dir_reader *r = reader;
    if (lseek(r->fd, (off_t)offset, SEEK_SET) < 0)
        return sys_fail(err, errlen, "cannot seek object", "(open reader)", errno);
    return SS_OBJECT_OK;
}

static void dir_close_read(void *reader)
{
    dir_reader *r = reader;
    close(r->fd);
    free(r);
}

/* fsyncs the directory that held `key` after its unlink; when a concurrent
 * delete has already removed that directory (it found it empty, so the
 * unlink had happened), the nearest directory above it that still exists. */
static int fsync_nearest_parent(int root_fd, const char *key)
{
    char path[SS_OBJECT_KEY_MAX + 1];
    snprintf(path, sizeof path, "%s", key);
    for (;;) {
        char *slash = strrchr(path, '/');
        if (!slash)
            return fsync(root_fd);
        *slash = '\0';
        if (fsync_dir_at(root_fd, path) == 0)
            return 0;
        if (errno != ENOENT)
            return -1;
    }
}

/* Removes the directories of `key` that are empty, deepest first; stops at
 * the first that is not (ENOTEMPTY) or is gone. */
static void remove_empty_parents(int root_fd, const char *key)
{
    char dir[SS_OBJECT_KEY_MAX + 1];
    snprintf(dir, sizeof dir, "%s", key);
    for (char *slash = strrchr(dir, '/'); slash; slash = strrchr(dir, '/')) {
        *slash = '\0';
        if (unlinkat(root_fd, dir, AT_REMOVEDIR) != 0)
            return;
    }
}

static ss_object_status dir_remove(void *backend, const char *key, char *err, size_t errlen)
{
    dir_backend *b = backend;
    if (unlinkat(b->root_fd, key, 0) != 0)
        return missing(errno) || errno == EISDIR ? not_found(key, err, errlen)
                                                  : sys_fail(err, errlen, "cannot delete object", key, errno);
    if (fsync_nearest_parent(b->root_fd, key) != 0)
        return sys_fail(err, errlen, "cannot fsync the directory of", key, errno);
    remove_empty_parents(b->root_fd, key);
    return SS_OBJECT_OK;
}

const ss_object_store_ops ss_object_store_dir_ops = {
    .name = "dir",
    .open = dir_open,
    .close = dir_close,
    .put_begin = dir_put_begin,
    .put_write = dir_put_write,
    .put_commit = dir_put_commit,
    .put_abort = dir_put_abort,
    .put_rewrite = dir_put_rewrite,
    .stat = dir_stat,
    .open_read = dir_open_read,
    .read = dir_read,
    .seek = dir_seek,
    .close_read = dir_close_read,
    .remove = dir_remove,
};

/* The object store: named blobs (voice references, consent clips) kept
 * outside Redis, behind one small interface so that the backend can change
 * (a directory tree today, an S3 bucket later) without touching callers.
 *
 * Keys are relative names like `voices/vc_123/consent.wav` or
 * `sha256/ab/cd/<64 hex>`: segments of [A-Za-z0-9_.-] separated by single
 * '/', no segment empty, "." or "..", none starting with '.' (names starting
 * with '.' belong to the backend: temp files), at most SS_OBJECT_KEY_MAX
 * bytes. Keys come from our own code, but a key that could escape the root
 * is refused (SS_OBJECT_BAD_KEY) on every operation, never cleaned up.
 *
 * Writes stream: ss_object_put_begin → ss_object_put_write (any number of
 * chunks) → ss_object_put_commit, or ss_object_put_abort at any point. The
 * writer never holds the whole object (the directory backend writes each
 * chunk to its temp file); the SHA-256 and size are computed while writing
 * and reported by commit. An object becomes visible under its key only at
 * commit, whole: a reader sees the previous object (or none) until then,
 * never a part. Commit of a key that exists replaces it atomically.
 * Content-addressed writes (ss_object_put_begin_content) take no key: commit
 * names the object `sha256/<h0h1>/<h2h3>/<hex>` from its digest; a second
 * put of the same bytes is a no-op that reports `existed`.
 *
 * Reads: ss_object_get reads a whole object into memory up to a size cap
 * (SS_OBJECT_TOO_LARGE beyond, nothing returned); ss_object_open → read →
 * close streams a large one. ss_object_stat gives the size;
 * ss_object_delete removes one. A missing object is SS_OBJECT_NOT_FOUND on
 * every operation: a result to test for, not an I/O failure (a delete of a
 * missing object, e.g. a repeated erasure, is not an error for the caller).
 *
 * Threads: every call blocks on the disk (or, later, the network). Callers
 * in the gateway run them on a worker thread (the audio threads of
 * common/loop_pool.h: ss_loop_pool_submit), never on an event loop. One
 * store may be used from any number of threads at once: the store holds no
 * mutable state after open; a writer or reader belongs to one thread at a
 * time. Concurrent puts of one content-addressed key are safe (the same
 * bytes land under the name either way); concurrent puts of one named key
 * end with one of the two objects, whole.
 *
 * Errors: every call that can fail returns an ss_object_status (0 is OK)
 * and writes a one-line message naming the key into err (may be NULL when
 * errlen is 0). Out of memory is SS_OBJECT_NO_MEMORY, "out of memory".
 *
 * Backends: the settings `object_store_backend` (only "dir" today) and
 * `object_store_dir` choose one at ss_object_store_open. A backend is an
 * ss_object_store_ops table (below); this file's functions validate keys,
 * hash, derive content-addressed names and dispatch, so a backend only moves
 * bytes. docs/STATE.md ("Objects") describes the directory backend's layout
 * and its fsync rules. */
#ifndef SS_COMMON_OBJECT_STORE_H
#define SS_COMMON_OBJECT_STORE_H

#include "common/settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SS_OBJECT_KEY_MAX 512
/* "sha256/ab/cd/" + 64 hex digits. */
#define SS_OBJECT_CONTENT_PREFIX "sha256/"

typedef enum {
    SS_OBJECT_OK = 0,
    SS_OBJECT_NOT_FOUND, /* no object under the key (stat, get, open, delete) */
    SS_OBJECT_BAD_KEY,   /* the key breaks the rules above */
    SS_OBJECT_TOO_LARGE, /* ss_object_get: larger than the caller's cap */
    SS_OBJECT_IO,        /* the backend failed (disk full, permissions, ...) */
    SS_OBJECT_NO_MEMORY,
    SS_OBJECT_BAD_CONFIG, /* unknown backend, unusable root */
    SS_OBJECT_MISUSE,     /* a writer used after commit or abort */
} ss_object_status;

typedef struct ss_object_store ss_object_store;
typedef struct ss_object_writer ss_object_writer;
typedef struct ss_object_reader ss_object_reader;

/* What commit reports. */
typedef struct {
    char key[SS_OBJECT_KEY_MAX + 1]; /* the final key (derived when content-addressed) */
    uint64_t size;
    uint8_t sha256[32];
    char sha256_hex[65];
    bool existed; /* content-addressed: the object was already there; nothing written */
} ss_object_info;

/* Stable lower-case name of a status ("not_found", ...). */
const char *ss_object_status_name(ss_object_status s);

/* Whether `name` is a backend this build has ("dir"). Start-up checks
 * object_store_backend with it (common/config.c), so a wrong value stops
 * every process at start, before any store is opened. */
bool ss_object_store_backend_known(const char *name);
/* The names a message can list: "dir". */
const char *ss_object_store_backend_names(void);

/* 0 when `key` obeys the rules above; else SS_OBJECT_BAD_KEY with the
 * reason in err. Every operation calls it; exposed for callers that build
 * keys and for the tests. */
ss_object_status ss_object_key_check(const char *key, char *err, size_t errlen);

/* Opens the backend settings->object_store_backend with its settings (the
 * directory backend creates object_store_dir if missing and checks it is a
 * writable directory). *out is NULL on failure. */
ss_object_status ss_object_store_open(const ss_settings *settings, ss_object_store **out,
                                      char *err, size_t errlen);
/* NULL is fine. No writer or reader of the store may be open. */
void ss_object_store_close(ss_object_store *store);
/* "dir", ... */
const char *ss_object_store_backend(const ss_object_store *store);

/* Streaming put under `key`. *out is NULL on failure. Keys under
 * `sha256/` are refused (SS_OBJECT_BAD_KEY): that space belongs to
 * content-addressed puts, so a name there always matches its bytes. */
ss_object_status ss_object_put_begin(ss_object_store *store, const char *key,
                                     ss_object_writer **out, char *err, size_t errlen);
/* Streaming put named by its SHA-256 at commit. */
ss_object_status ss_object_put_begin_content(ss_object_store *store, ss_object_writer **out,
                                             char *err, size_t errlen);
/* Appends len bytes (len 0 is fine). After a failure the writer can only be
 * aborted. */
ss_object_status ss_object_put_write(ss_object_writer *w, const void *data, size_t len,
                                     char *err, size_t errlen);
/* Makes the object durable and visible under its key, fills *info (may be
 * NULL) and frees the writer, whatever the result (on failure nothing is
 * visible and the temp data is removed). */
ss_object_status ss_object_put_commit(ss_object_writer *w, ss_object_info *info, char *err,
                                      size_t errlen);
/* Overwrites len bytes at offset of what was written so far (offset + len
 * <= the bytes written): a file header whose sizes are known only at the
 * end (a WAV's RIFF sizes). Named puts only; after a rewrite commit
 * reports no digest (sha256_hex ""), since the bytes hashed are no longer
 * the object's. */
ss_object_status ss_object_put_rewrite(ss_object_writer *w, uint64_t offset, const void *data,
                                       size_t len, char *err, size_t errlen);
/* Drops everything written and frees the writer. NULL is fine. */
void ss_object_put_abort(ss_object_writer *w);
/* One call for a buffer already in memory: begin, write, commit. key NULL:
 * content-addressed. */
ss_object_status ss_object_put_bytes(ss_object_store *store, const char *key, const void *data,
                                     size_t len, ss_object_info *info, char *err, size_t errlen);

/* Size of the object, or SS_OBJECT_NOT_FOUND. */
ss_object_status ss_object_stat(ss_object_store *store, const char *key, uint64_t *size,
                                char *err, size_t errlen);
/* Reads the whole object into a malloc'd buffer (*data, *len; free() it;
 * one spare NUL byte after the data). Objects larger than max_bytes are
 * SS_OBJECT_TOO_LARGE, with nothing read. */
ss_object_status ss_object_get(ss_object_store *store, const char *key, size_t max_bytes,
                               uint8_t **data, size_t *len, char *err, size_t errlen);
/* Streaming read: open (size in *size, may be NULL), read chunks until
 * *got is 0 (the end), close. */
ss_object_status ss_object_open(ss_object_store *store, const char *key, ss_object_reader **out,
                                uint64_t *size, char *err, size_t errlen);
ss_object_status ss_object_read(ss_object_reader *r, void *buf, size_t cap, size_t *got,
                                char *err, size_t errlen);
/* Moves an open reader to byte `offset` (a Range request); reading past
 * the end gives *got 0. */
ss_object_status ss_object_seek(ss_object_reader *r, uint64_t offset, char *err, size_t errlen);
void ss_object_close(ss_object_reader *r); /* NULL is fine */
/* Removes the object durably; SS_OBJECT_NOT_FOUND when there was none. */
ss_object_status ss_object_delete(ss_object_store *store, const char *key, char *err,
                                  size_t errlen);

/* A backend: moves bytes, nothing else. Keys reaching it are valid;
 * content-addressed puts reach it as put_begin(NULL) and learn their key at
 * put_commit, with `if_absent` set (an existing object is kept and
 * reported through *existed). Backend writers/readers are opaque `void *`.
 * Every function returns a status and writes err like the calls above. */
typedef struct {
    const char *name;
    ss_object_status (*open)(const ss_settings *settings, void **backend, char *err,
                             size_t errlen);
    void (*close)(void *backend);
    /* key NULL: the final key is given at commit. */
    ss_object_status (*put_begin)(void *backend, const char *key, void **writer, char *err,
                                  size_t errlen);
    ss_object_status (*put_write)(void *writer, const void *data, size_t len, char *err,
                                  size_t errlen);
    /* Frees the writer whatever the result. */
    ss_object_status (*put_commit)(void *writer, const char *key, bool if_absent, bool *existed,
                                   char *err, size_t errlen);
    void (*put_abort)(void *writer);
    ss_object_status (*put_rewrite)(void *writer, uint64_t offset, const void *data, size_t len,
                                    char *err, size_t errlen);
    ss_object_status (*stat)(void *backend, const char *key, uint64_t *size, char *err,
                             size_t errlen);
    ss_object_status (*open_read)(void *backend, const char *key, void **reader, uint64_t *size,
                                  char *err, size_t errlen);
    ss_object_status (*read)(void *reader, void *buf, size_t cap, size_t *got, char *err,
                             size_t errlen);
    ss_object_status (*seek)(void *reader, uint64_t offset, char *err, size_t errlen);
    void (*close_read)(void *reader);
    ss_object_status (*remove)(void *backend, const char *key, char *err, size_t errlen);
} ss_object_store_ops;

/* The directory backend (common/object_store_dir.c). */
extern const ss_object_store_ops ss_object_store_dir_ops;

/* The backend called `name` (common/object_store_backends.c), or NULL. */
const ss_object_store_ops *ss_object_store_find_backend(const char *name);

#endif

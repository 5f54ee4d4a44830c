/* The object store's front (see object_store.h): key validation, the SHA-256 of every put (OpenSSL EVP, updated chunk by chunk
 * as the bytes pass), content-addressed names, and the dispatch to a
 * backend's ops. A backend only moves bytes, so the rules every backend must
 * keep (which keys exist, what commit reports) are enforced once, here.
 *
 * No global mutable state: the backend table is constant; a store is its
 * ops and the backend's own handle, both fixed after open. */
#include "common/object_store.h"

#include "common/hex_codec.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ss_object_store {
    const ss_object_store_ops *ops;
    void *backend;
};

struct ss_object_writer {
    ss_object_store *store;
    void *backend_writer;
    EVP_MD_CTX *sha;
    uint64_t size;
    bool content_addressed;
    bool failed;
    bool rewritten; /* ss_object_put_rewrite ran: no digest at commit */
    char key[SS_OBJECT_KEY_MAX + 1];
};

struct ss_object_reader {
    ss_object_store *store;
    void *backend_reader;
};


static const char *const STATUS_NAMES[] = {
    [SS_OBJECT_OK] = "ok",
    [SS_OBJECT_NOT_FOUND] = "not_found",
    [SS_OBJECT_BAD_KEY] = "bad_key",
    [SS_OBJECT_TOO_LARGE] = "too_large",
    [SS_OBJECT_IO] = "io",
    [SS_OBJECT_NO_MEMORY] = "no_memory",
    [SS_OBJECT_BAD_CONFIG] = "bad_config",
    [SS_OBJECT_MISUSE] = "misuse",
};

const char *ss_object_status_name(ss_object_status s)
{
    return (unsigned)s < sizeof STATUS_NAMES / sizeof STATUS_NAMES[0] ? STATUS_NAMES[s] : "unknown";
}

static ss_object_status fail(ss_object_status s, char *err, size_t errlen, const char *fmt,
                             const char *arg)
{
    if (errlen)
        snprintf(err, errlen, fmt, arg);
    return s;
}

/* --- keys */

static bool key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* One segment s[0..n): non-empty, not starting with '.', only key_char. */
static const char *segment_problem(const char *s, size_t n)
{
    if (n == 0)
        return "an empty segment (leading, trailing or doubled '/')";
    if (s[0] == '.')
        return "a segment starting with '.' ('..', '.', or a name reserved for the backend)";
    for (size_t i = 0; i < n; i++)
        if (!key_char((unsigned char)s[i]))
            return "a character outside [A-Za-z0-9_.-/]";
    return NULL;
}

ss_object_status ss_object_key_check(const char *key, char *err, size_t errlen)
{
    if (!key || !*key)
        return fail(SS_OBJECT_BAD_KEY, err, errlen, "object key is empty%s", "");
    size_t len = strnlen(key, SS_OBJECT_KEY_MAX + 1);
    if (len > SS_OBJECT_KEY_MAX) {
        if (errlen)
            snprintf(err, errlen, "object key is longer than %d bytes", SS_OBJECT_KEY_MAX);
        return SS_OBJECT_BAD_KEY;
    }
    for (const char *seg = key;;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        const char *why = segment_problem(seg, n);
        if (why) {
            if (errlen)
                snprintf(err, errlen, "object key '%.*s' has %s", (int)len, key, why);
            return SS_OBJECT_BAD_KEY;
        }
        if (!slash)
            return SS_OBJECT_OK;
        seg = slash + 1;
    }
}

/* --- store */

ss_object_status ss_object_store_open(const ss_settings *settings, ss_object_store **out,
                                      char *err, size_t errlen)
{
    *out = NULL;
    const ss_object_store_ops *ops = ss_object_store_find_backend(settings->object_store_backend);
    if (!ops) {
        if (errlen)
            snprintf(err, errlen, "object_store_backend must be one of: %s (got '%s')",
                     ss_object_store_backend_names(), settings->object_store_backend);
        return SS_OBJECT_BAD_CONFIG;
    }
    ss_object_store *s = calloc(1, sizeof *s);
    if (!s)
        return fail(SS_OBJECT_NO_MEMORY, err, errlen, "out of memory%s", "");
    s->ops = ops;
    ss_object_status st = ops->open(settings, &s->backend, err, errlen);
    if (st != SS_OBJECT_OK) {
        free(s);
        return st;
    }
    *out = s;
    return SS_OBJECT_OK;
}

void ss_object_store_close(ss_object_store *store)
{
    if (!store)
        return;
    store->ops->close(store->backend);
    free(store);
}

const char *ss_object_store_backend(const ss_object_store *store)
{
    return store->ops->name;
}

/* --- writes */

static ss_object_status writer_new(ss_object_store *store, const char *key, ss_object_writer **out,
                                   char *err, size_t errlen)
{
    *out = NULL;
    ss_object_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->sha = EVP_MD_CTX_new())) {
        free(w);
        return fail(SS_OBJECT_NO_MEMORY, err, errlen, "out of memory%s", "");
    }
    if (EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(w->sha);
        free(w);
        return fail(SS_OBJECT_IO, err, errlen, "SHA-256 init failed%s", "");
    }
    w->store = store;
    w->content_addressed = key == NULL;
    if (key)
        memcpy(w->key, key, strlen(key) + 1);
    ss_object_status st = store->ops->put_begin(store->backend, key, &w->backend_writer, err, errlen);
    if (st != SS_OBJECT_OK) {
        EVP_MD_CTX_free(w->sha);
        free(w);
        return st;
    }
    *out = w;
    return SS_OBJECT_OK;
}

static void writer_free(ss_object_writer *w)
{
    EVP_MD_CTX_free(w->sha);
    free(w);
}

ss_object_status ss_object_put_begin(ss_object_store *store, const char *key,
                                     ss_object_writer **out, char *err, size_t errlen)
{
    *out = NULL;
    ss_object_status st = ss_object_key_check(key, err, errlen);
    if (st != SS_OBJECT_OK)
        return st;
    if (strncmp(key, SS_OBJECT_CONTENT_PREFIX, strlen(SS_OBJECT_CONTENT_PREFIX)) == 0)
        return fail(SS_OBJECT_BAD_KEY, err, errlen,
                    "object key '%s' is in the content-addressed space (sha256/): put it by "
                    "content", key);
    return writer_new(store, key, out, err, errlen);
}

ss_object_status ss_object_put_begin_content(ss_object_store *store, ss_object_writer **out,
                                             char *err, size_t errlen)
{
    return writer_new(store, NULL, out, err, errlen);
}

ss_object_status ss_object_put_write(ss_object_writer *w, const void *data, size_t len,
                                     char *err, size_t errlen)
{
    if (w->failed)
        return fail(SS_OBJECT_MISUSE, err, errlen, "write after a failed write%s", "");
    if (len == 0)
        return SS_OBJECT_OK;
    ss_object_status st = w->store->ops->put_write(w->backend_writer, data, len, err, errlen);
    if (st == SS_OBJECT_OK && EVP_DigestUpdate(w->sha, data, len) != 1)
        st = fail(SS_OBJECT_IO, err, errlen, "SHA-256 update failed%s", "");
    if (st != SS_OBJECT_OK)
        w->failed = true;
    else
        w->size += len;
    return st;
}

ss_object_status ss_object_put_commit(ss_object_writer *w, ss_object_info *info, char *err,
                                      size_t errlen)
{
    ss_object_info local;
    ss_object_info *i = info ? info : &local;
    memset(i, 0, sizeof *i);
    unsigned int mdlen = 0;
    if (w->failed || EVP_DigestFinal_ex(w->sha, i->sha256, &mdlen) != 1 || mdlen != 32) {
        ss_object_status st = w->failed ? SS_OBJECT_MISUSE : SS_OBJECT_IO;
        ss_object_put_abort(w);
        return fail(st, err, errlen, "%s",
                    st == SS_OBJECT_MISUSE ? "commit after a failed write" : "SHA-256 failed");
    }
    if (w->rewritten)
        memset(i->sha256, 0, sizeof i->sha256); /* the hashed bytes are not the object's */
    else
        ss_hex_encode(i->sha256, 32, i->sha256_hex);
    i->size = w->size;
    if (w->content_addressed)
        snprintf(w->key, sizeof w->key, SS_OBJECT_CONTENT_PREFIX "%.2s/%.2s/%s", i->sha256_hex,
                 i->sha256_hex + 2, i->sha256_hex);
    memcpy(i->key, w->key, sizeof i->key);
    ss_object_status st = w->store->ops->put_commit(w->backend_writer, w->key, w->content_addressed,
                                                    &i->existed, err, errlen);
    writer_free(w);
    return st;
}

ss_object_status ss_object_put_rewrite(ss_object_writer *w, uint64_t offset, const void *data,
                                       size_t len, char *err, size_t errlen)
{
    if (w->failed)
        return fail(SS_OBJECT_MISUSE, err, errlen, "rewrite after a failed write%s", "");
    if (w->content_addressed || offset > w->size || len > w->size - offset)
        return fail(SS_OBJECT_MISUSE, err, errlen, "rewrite outside the bytes written of '%s'", w->key);
    ss_object_status st = w->store->ops->put_rewrite(w->backend_writer, offset, data, len, err, errlen);
    if (st != SS_OBJECT_OK)
        w->failed = true;
    else
        w->rewritten = true;
    return st;
}

void ss_object_put_abort(ss_object_writer *w)
{
    if (!w)
        return;
    w->store->ops->put_abort(w->backend_writer);
    writer_free(w);
}

ss_object_status ss_object_put_bytes(ss_object_store *store, const char *key, const void *data,
                                     size_t len, ss_object_info *info, char *err, size_t errlen)
{
    ss_object_writer *w;
    ss_object_status st = key ? ss_object_put_begin(store, key, &w, err, errlen)
                              : ss_object_put_begin_content(store, &w, err, errlen);
    if (st != SS_OBJECT_OK)
        return st;
    st = ss_object_put_write(w, data, len, err, errlen);
    if (st != SS_OBJECT_OK) {
        ss_object_put_abort(w);
        return st;
    }
    return ss_object_put_commit(w, info, err, errlen);
}

/* --- reads and deletes */

ss_object_status ss_object_stat(ss_object_store *store, const char *key, uint64_t *size,
                                char *err, size_t errlen)
{
    ss_object_status st = ss_object_key_check(key, err, errlen);
    return st != SS_OBJECT_OK ? st : store->ops->stat(store->backend, key, size, err, errlen);
}

ss_object_status ss_object_open(ss_object_store *store, const char *key, ss_object_reader **out,
                                uint64_t *size, char *err, size_t errlen)
{
    *out = NULL;
    ss_object_status st = ss_object_key_check(key, err, errlen);
    if (st != SS_OBJECT_OK)
        return st;
    ss_object_reader *r = calloc(1, sizeof *r);
    if (!r)
        return fail(SS_OBJECT_NO_MEMORY, err, errlen, "out of memory%s", "");
    uint64_t local;
    st = store->ops->open_read(store->backend, key, &r->backend_reader, size ? size : &local, err,
                               errlen);
    if (st != SS_OBJECT_OK) {
        free(r);
        return st;
    }
    r->store = store;
    *out = r;
    return SS_OBJECT_OK;
}

ss_object_status ss_object_read(ss_object_reader *r, void *buf, size_t cap, size_t *got,
                                char *err, size_t errlen)
{
    return r->store->ops->read(r->backend_reader, buf, cap, got, err, errlen);
}

ss_object_status ss_object_seek(ss_object_reader *r, uint64_t offset, char *err, size_t errlen)
{
    return r->store->ops->seek(r->backend_reader, offset, err, errlen);
}

void ss_object_close(ss_object_reader *r)
{
    if (!r)
        return;
    r->store->ops->close_read(r->backend_reader);
    free(r);
}

/* Reads until the buffer is full or the object ends; an object that grew
 * past its stat size (a replace in between) is refused, not truncated. */
static ss_object_status read_all(ss_object_reader *r, uint8_t *buf, size_t size, const char *key,
                                 char *err, size_t errlen)
{
    size_t have = 0, got;
    for (;;) {
        uint8_t probe;
        bool full = have == size;
        ss_object_status st = full ? ss_object_read(r, &probe, 1, &got, err, errlen)
                                   : ss_object_read(r, buf + have, size - have, &got, err, errlen);
        if (st != SS_OBJECT_OK)
            return st;
        if (got == 0 && full)
            return SS_OBJECT_OK;
        if (got == 0 || full)
            return fail(SS_OBJECT_IO, err, errlen, "object '%s' changed size while read", key);
        have += got;
    }
}

ss_object_status ss_object_get(ss_object_store *store, const char *key, size_t max_bytes,
                               uint8_t **data, size_t *len, char *err, size_t errlen)
{
    *data = NULL;
    *len = 0;
    ss_object_reader *r;
    uint64_t size;
    ss_object_status st = ss_object_open(store, key, &r, &size, err, errlen);
    if (st != SS_OBJECT_OK)
        return st;
    if (size > max_bytes) {
        ss_object_close(r);
        if (errlen)
            snprintf(err, errlen, "object '%s' is %llu bytes, over the cap of %zu", key,
                     (unsigned long long)size, max_bytes);
        return SS_OBJECT_TOO_LARGE;
    }
    uint8_t *buf = malloc((size_t)size + 1);
    if (!buf) {
        ss_object_close(r);
        return fail(SS_OBJECT_NO_MEMORY, err, errlen, "out of memory%s", "");
    }
    st = read_all(r, buf, (size_t)size, key, err, errlen);
    ss_object_close(r);
    if (st != SS_OBJECT_OK) {
        free(buf);
        return st;
    }
    buf[size] = '\0';
    *data = buf;
    *len = (size_t)size;
    return SS_OBJECT_OK;
}

ss_object_status ss_object_delete(ss_object_store *store, const char *key, char *err,
                                  size_t errlen)
{
    ss_object_status st = ss_object_key_check(key, err, errlen);
    return st != SS_OBJECT_OK ? st : store->ops->remove(store->backend, key, err, errlen);
}

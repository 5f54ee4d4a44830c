/* Unit tests for common/object_store (the front) and object_store_dir (the
 * directory backend), on a fresh directory under /tmp per test: round
 * trips, a 30 MB streamed put whose writer never holds the object (the temp
 * file grows with every chunk, the process's RSS does not), SHA-256 against
 * known vectors and against coreutils' sha256sum, abort, content-addressed
 * idempotence, delete (and the directories it empties, against puts
 * racing into them), the key rules, concurrent puts, and a reader polling
 * while a writer writes (it sees nothing or the whole object, never a
 * part). */
#include "common/config.h"
#include "common/object_store.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char root[256];
    ss_settings *settings;
    ss_object_store *store;
} fixture;

static void open_store(fixture *f)
{
    snprintf(f->root, sizeof f->root, "/tmp/ss_objects_XXXXXX");
    cr_assert_not_null(mkdtemp(f->root));
    char err[512];
    f->settings = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(f->settings, "%s", err);
    cr_assert_eq(ss_config_set(f->settings, "object_store_dir", f->root, err, sizeof err), 0);
    ss_object_status st = ss_object_store_open(f->settings, &f->store, err, sizeof err);
    cr_assert_eq(st, SS_OBJECT_OK, "%s", err);
}

static void close_store(fixture *f)
{
    ss_object_store_close(f->store);
    ss_config_free(f->settings);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->root);
    cr_assert_eq(system(cmd), 0);
}

/* Entries of root/.tmp (temp files in flight or left behind). */
static int temp_files(const fixture *f)
{
    char path[300];
    snprintf(path, sizeof path, "%s/.tmp", f->root);
    DIR *d = opendir(path);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void fill_pattern(uint8_t *buf, size_t len, uint64_t offset)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = (offset + i) * 0x9E3779B97F4A7C15ull;
        buf[i] = (uint8_t)(x >> 56);
    }
}

Test(object_store, round_trip_get_stat_and_stream)
{
    fixture f;
    open_store(&f);
    char err[512];
    const char *body = "hello, objects";
    ss_object_info info;
    cr_assert_eq(ss_object_put_bytes(f.store, "voices/vc_1/reference.wav", body, strlen(body), &info,
                                     err, sizeof err),
                 SS_OBJECT_OK, "%s", err);
    cr_assert_str_eq(info.key, "voices/vc_1/reference.wav");
    cr_assert_eq(info.size, strlen(body));
    cr_assert_not(info.existed);

    uint64_t size = 0;
    cr_assert_eq(ss_object_stat(f.store, "voices/vc_1/reference.wav", &size, err, sizeof err), 0);
    cr_assert_eq(size, strlen(body));
    uint8_t *data;
    size_t len;
    cr_assert_eq(ss_object_get(f.store, "voices/vc_1/reference.wav", 1024, &data, &len, err,
                               sizeof err),
                 SS_OBJECT_OK, "%s", err);
    cr_assert_eq(len, strlen(body));
    cr_assert_str_eq((char *)data, body); /* NUL after the data */
    free(data);
    cr_assert_eq(ss_object_get(f.store, "voices/vc_1/reference.wav", 4, &data, &len, err, sizeof err),
                 SS_OBJECT_TOO_LARGE);
    cr_assert_null(data);

    ss_object_reader *r;
    cr_assert_eq(ss_object_open(f.store, "voices/vc_1/reference.wav", &r, &size, err, sizeof err), 0);
    char got[64] = "";
    size_t have = 0, n;
    do {
        cr_assert_eq(ss_object_read(r, got + have, 3, &n, err, sizeof err), SS_OBJECT_OK);
        have += n;
    } while (n > 0);
    ss_object_close(r);
    cr_assert_eq(have, strlen(body));
    cr_assert_str_eq(got, body);

    /* The file is where the docs say, and a put replaces. */
    char path[400];
    snprintf(path, sizeof path, "%s/voices/vc_1/reference.wav", f.root);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(ss_object_put_bytes(f.store, "voices/vc_1/reference.wav", "x", 1, NULL, err,
                                     sizeof err),
                 SS_OBJECT_OK);
    cr_assert_eq(ss_object_stat(f.store, "voices/vc_1/reference.wav", &size, err, sizeof err), 0);
    cr_assert_eq(size, 1);
    cr_assert_eq(temp_files(&f), 0);
    close_store(&f);
}

/* Resident set size of this process, in bytes. */
static long rss_bytes(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    cr_assert_eq(fscanf(fp, "%ld %ld", &pages, &resident), 2);
    fclose(fp);
    return resident * sysconf(_SC_PAGESIZE);
}

/* The path of the one temp file of a writer in flight. */
static void temp_path(const fixture *f, char *out, size_t cap)
{
    char path[300];
    snprintf(path, sizeof path, "%s/.tmp", f->root);
    DIR *d = opendir(path);
    out[0] = '\0';
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            snprintf(out, cap, "%s/%s", path, e->d_name);
    closedir(d);
    cr_assert_neq(out[0], '\0', "no temp file");
}

Test(object_store, streams_30_mb_in_64k_chunks_with_bounded_memory, .timeout = 120)
{
    fixture f;
    open_store(&f);
    char err[512];
    enum { CHUNK = 64 * 1024, TOTAL = 30 * 1024 * 1024 };
    static uint8_t chunk[CHUNK];
    ss_object_writer *w;
    cr_assert_eq(ss_object_put_begin(f.store, "big/stream.bin", &w, err, sizeof err), 0, "%s", err);
    char temp[600];
    temp_path(&f, temp, sizeof temp);
    long base = rss_bytes(), peak = base;
    for (uint64_t off = 0; off < TOTAL; off += CHUNK) {
        fill_pattern(chunk, CHUNK, off);
        cr_assert_eq(ss_object_put_write(w, chunk, CHUNK, err, sizeof err), SS_OBJECT_OK, "%s", err);
        /* Each chunk is on its way to disk, not in the writer. */
        struct stat st;
        cr_assert_eq(stat(temp, &st), 0);
        cr_assert_eq(st.st_size, (off_t)(off + CHUNK));
        long now = rss_bytes();
        peak = now > peak ? now : peak;
    }
    ss_object_info info;
    cr_assert_eq(ss_object_put_commit(w, &info, err, sizeof err), SS_OBJECT_OK, "%s", err);
    cr_assert_lt(peak - base, 4l * 1024 * 1024, "RSS grew by %ld bytes", peak - base);
    cr_assert_eq(info.size, TOTAL);

    /* coreutils agrees on the digest of what landed on disk. */
    char cmd[400], line[200] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s/big/stream.bin'", f.root);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(fgets(line, sizeof line, p));
    pclose(p);
    cr_assert_eq(strncmp(line, info.sha256_hex, 64), 0, "sha256sum %.64s, store %s", line,
                 info.sha256_hex);

    /* The streaming reader gives the same bytes back. */
    ss_object_reader *r;
    uint64_t size;
    cr_assert_eq(ss_object_open(f.store, "big/stream.bin", &r, &size, err, sizeof err), 0);
    cr_assert_eq(size, TOTAL);
    static uint8_t expect[CHUNK], got[CHUNK];
    uint64_t off = 0;
    for (size_t n = 1; n > 0; off += n) {
        cr_assert_eq(ss_object_read(r, got, CHUNK, &n, err, sizeof err), SS_OBJECT_OK);
        fill_pattern(expect, n, off);
        cr_assert_eq(memcmp(got, expect, n), 0, "at %llu", (unsigned long long)off);
    }
    ss_object_close(r);
    cr_assert_eq(off, TOTAL);
    close_store(&f);
}

Test(object_store, sha256_known_vectors)
{
    fixture f;
    open_store(&f);
    char err[512];
    ss_object_info info;
    cr_assert_eq(ss_object_put_bytes(f.store, "v/empty", "", 0, &info, err, sizeof err), 0);
    cr_assert_str_eq(info.sha256_hex,
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cr_assert_eq(ss_object_put_bytes(f.store, "v/abc", "abc", 3, &info, err, sizeof err), 0);
    cr_assert_str_eq(info.sha256_hex,
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* FIPS 180-2's one million 'a', in uneven chunks. */
    ss_object_writer *w;
    cr_assert_eq(ss_object_put_begin(f.store, "v/million", &w, err, sizeof err), 0);
    static char as[1000];
    memset(as, 'a', sizeof as);
    size_t left = 1000000;
    for (size_t n = 1; left > 0; n = n % 997 + 1) {
        size_t take = n < left ? n : left;
        cr_assert_eq(ss_object_put_write(w, as, take, err, sizeof err), 0);
        left -= take;
    }
    cr_assert_eq(ss_object_put_commit(w, &info, err, sizeof err), 0);
    cr_assert_str_eq(info.sha256_hex,
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    cr_assert_eq(info.size, 1000000);
    close_store(&f);
}

Test(object_store, abort_leaves_nothing)
{
    fixture f;
    open_store(&f);
    char err[512];
    ss_object_writer *w;
    cr_assert_eq(ss_object_put_begin(f.store, "a/b/c", &w, err, sizeof err), 0);
    cr_assert_eq(ss_object_put_write(w, "partial", 7, err, sizeof err), 0);
    cr_assert_eq(temp_files(&f), 1);
    ss_object_put_abort(w);
    cr_assert_eq(temp_files(&f), 0);
    cr_assert_eq(ss_object_stat(f.store, "a/b/c", NULL, err, sizeof err), SS_OBJECT_NOT_FOUND);
    cr_assert_eq(ss_object_put_begin_content(f.store, &w, err, sizeof err), 0);
    cr_assert_eq(ss_object_put_write(w, "partial", 7, err, sizeof err), 0);
    ss_object_put_abort(w);
    cr_assert_eq(temp_files(&f), 0);
    char path[300];
    snprintf(path, sizeof path, "%s/a", f.root);
    cr_assert_neq(access(path, F_OK), 0, "abort made directories");
    close_store(&f);
}

Test(object_store, content_addressed_put_is_idempotent)
{
    fixture f;
    open_store(&f);
    char err[512];
    ss_object_info first, second;
    cr_assert_eq(ss_object_put_bytes(f.store, NULL, "abc", 3, &first, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(first.key, "sha256/ba/78/"
                                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    cr_assert_not(first.existed);
    cr_assert_eq(ss_object_put_bytes(f.store, NULL, "abc", 3, &second, err, sizeof err), 0);
    cr_assert_str_eq(second.key, first.key);
    cr_assert(second.existed);
    cr_assert_eq(temp_files(&f), 0);
    uint8_t *data;
    size_t len;
    cr_assert_eq(ss_object_get(f.store, first.key, 10, &data, &len, err, sizeof err), 0);
    cr_assert_eq(len, 3);
    cr_assert_eq(memcmp(data, "abc", 3), 0);
    free(data);
    close_store(&f);
}

Test(object_store, delete_and_not_found)
{
    fixture f;
    open_store(&f);
    char err[512];
    cr_assert_eq(ss_object_put_bytes(f.store, "x/y", "1", 1, NULL, err, sizeof err), 0);
    cr_assert_eq(ss_object_delete(f.store, "x/y", err, sizeof err), SS_OBJECT_OK, "%s", err);
    cr_assert_eq(ss_object_delete(f.store, "x/y", err, sizeof err), SS_OBJECT_NOT_FOUND);
    cr_assert(strstr(err, "not found"), "%s", err);
    cr_assert_eq(ss_object_delete(f.store, "x", err, sizeof err), SS_OBJECT_NOT_FOUND,
                 "a directory is not an object");
    cr_assert_eq(ss_object_delete(f.store, "never/was", err, sizeof err), SS_OBJECT_NOT_FOUND);
    uint8_t *data;
    size_t len;
    cr_assert_eq(ss_object_get(f.store, "x/y", 10, &data, &len, err, sizeof err), SS_OBJECT_NOT_FOUND);
    ss_object_reader *r;
    cr_assert_eq(ss_object_open(f.store, "x/y", &r, NULL, err, sizeof err), SS_OBJECT_NOT_FOUND);
    cr_assert_eq(ss_object_stat(f.store, "x", NULL, err, sizeof err), SS_OBJECT_NOT_FOUND);
    cr_assert_eq(ss_object_stat(f.store, "x/y/z", NULL, err, sizeof err), SS_OBJECT_NOT_FOUND);
    close_store(&f);
}

static bool exists(const fixture *f, const char *rel)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", f->root, rel);
    struct stat st;
    return stat(path, &st) == 0;
}

/* A delete removes the key's directories that it left empty (an erased
 * voice leaves no voices/<id>/), and only those. */
Test(object_store, delete_removes_emptied_directories)
{
    fixture f;
    open_store(&f);
    char err[512];
    cr_assert_eq(ss_object_put_bytes(f.store, "voices/vc_a/reference.wav", "1", 1, NULL, err, sizeof err), 0);
    cr_assert_eq(ss_object_put_bytes(f.store, "voices/vc_a/preview.wav", "2", 1, NULL, err, sizeof err), 0);
    cr_assert_eq(ss_object_put_bytes(f.store, "voices/vc_b/reference.wav", "3", 1, NULL, err, sizeof err), 0);
    cr_assert_eq(ss_object_delete(f.store, "voices/vc_a/reference.wav", err, sizeof err), SS_OBJECT_OK, "%s", err);
    cr_assert(exists(&f, "voices/vc_a"), "a directory that still holds an object stays");
    cr_assert_eq(ss_object_delete(f.store, "voices/vc_a/preview.wav", err, sizeof err), SS_OBJECT_OK, "%s", err);
    cr_assert(!exists(&f, "voices/vc_a"), "the emptied voices/vc_a/ is left behind");
    cr_assert(exists(&f, "voices/vc_b/reference.wav"));
    cr_assert_eq(ss_object_delete(f.store, "voices/vc_b/reference.wav", err, sizeof err), SS_OBJECT_OK, "%s", err);
    cr_assert(!exists(&f, "voices"), "every emptied level goes");
    cr_assert(exists(&f, ".tmp"), "the root and its temp directory stay");
    cr_assert_eq(ss_object_put_bytes(f.store, "voices/vc_a/reference.wav", "4", 1, NULL, err, sizeof err), 0,
                 "%s", err);
    close_store(&f);
}

typedef struct {
    ss_object_store *store;
    int index;
    atomic_int failures;
} churn_job;

/* Puts and deletes objects in the same two directories as the other
 * threads, so deletes keep removing directories that puts are about to
 * rename into. */
static void *put_and_delete(void *arg)
{
    churn_job *j = arg;
    char err[512], key[64];
    for (int i = 0; i < 300; i++) {
        snprintf(key, sizeof key, "churn/d%d/obj%d", i % 2, j->index);
        if (ss_object_put_bytes(j->store, key, key, strlen(key), NULL, err, sizeof err) != 0 ||
            ss_object_delete(j->store, key, err, sizeof err) != SS_OBJECT_OK) {
            fprintf(stderr, "thread %d: %s\n", j->index, err);
            atomic_fetch_add(&j->failures, 1);
        }
    }
    return NULL;
}

Test(object_store, puts_survive_deletes_removing_their_directories, .timeout = 120)
{
    fixture f;
    open_store(&f);
    enum { THREADS = 4 };
    pthread_t t[THREADS];
    churn_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (churn_job){.store = f.store, .index = i};
        cr_assert_eq(pthread_create(&t[i], NULL, put_and_delete, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(atomic_load(&jobs[i].failures), 0, "thread %d: a put or delete failed", i);
    }
    cr_assert(!exists(&f, "churn"));
    cr_assert_eq(temp_files(&f), 0);
    close_store(&f);
}

Test(object_store, key_rules)
{
    static const struct {
        const char *key;
        bool ok;
    } CASES[] = {
        {"a", true},
        {"voices/vc_1/reference.wav", true},
        {"sha256/ab/cd/0123", true},
        {"A-Z_0.9/x", true},
        {"a..b", true}, /* dots inside a name are fine */
        {"", false},
        {"/etc/passwd", false},
        {"../x", false},
        {"a/../../x", false},
        {"a/..", false},
        {"./a", false},
        {"a//b", false},
        {"a/", false},
        {".tmp/put-1", false},
        {"a/.hidden", false},
        {"a b", false},
        {"a\\b", false},
        {"a\nb", false},
        {"é", false},
        {"a:b", false},
    };
    char err[256];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        ss_object_status st = ss_object_key_check(CASES[i].key, err, sizeof err);
        cr_expect_eq(st == SS_OBJECT_OK, CASES[i].ok, "key '%s': %s", CASES[i].key, err);
    }
    char longkey[SS_OBJECT_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = '\0';
    cr_expect_eq(ss_object_key_check(longkey, err, sizeof err), SS_OBJECT_BAD_KEY);
    longkey[SS_OBJECT_KEY_MAX] = '\0';
    cr_expect_eq(ss_object_key_check(longkey, err, sizeof err), SS_OBJECT_OK);
    cr_expect_eq(ss_object_key_check(NULL, err, sizeof err), SS_OBJECT_BAD_KEY);

    /* Every operation checks, before touching the disk. */
    fixture f;
    open_store(&f);
    ss_object_writer *w;
    uint8_t *data;
    size_t len;
    cr_expect_eq(ss_object_put_begin(f.store, "../escape", &w, err, sizeof err), SS_OBJECT_BAD_KEY);
    cr_expect_null(w);
    cr_expect_eq(ss_object_get(f.store, "/etc/passwd", 1 << 20, &data, &len, err, sizeof err),
                 SS_OBJECT_BAD_KEY);
    cr_expect_eq(ss_object_delete(f.store, "a/../..", err, sizeof err), SS_OBJECT_BAD_KEY);
    cr_expect_eq(ss_object_stat(f.store, ".tmp", NULL, err, sizeof err), SS_OBJECT_BAD_KEY);
    /* sha256/ names only what content addressing puts there. */
    cr_expect_eq(ss_object_put_begin(f.store, "sha256/ab/cd/abcd", &w, err, sizeof err),
                 SS_OBJECT_BAD_KEY);
    cr_expect(strstr(err, "content-addressed"), "%s", err);
    cr_expect_eq(ss_object_stat(f.store, "sha256/ab/cd/abcd", NULL, err, sizeof err),
                 SS_OBJECT_NOT_FOUND);
    close_store(&f);
}

typedef struct {
    ss_object_store *store;
    int index;
    atomic_int failures;
} put_job;

static void *put_many(void *arg)
{
    put_job *j = arg;
    char err[512], key[64];
    static const char SHARED[] = "the same reference clip bytes";
    for (int i = 0; i < 25; i++) {
        ss_object_info info;
        if (ss_object_put_bytes(j->store, NULL, SHARED, sizeof SHARED, &info, err, sizeof err) != 0)
            atomic_fetch_add(&j->failures, 1);
        snprintf(key, sizeof key, "t%d/obj%d", j->index, i);
        if (ss_object_put_bytes(j->store, key, key, strlen(key), NULL, err, sizeof err) != 0)
            atomic_fetch_add(&j->failures, 1);
        if (ss_object_put_bytes(j->store, "contended/name", key, strlen(key), NULL, err, sizeof err) != 0)
            atomic_fetch_add(&j->failures, 1);
    }
    return NULL;
}

Test(object_store, concurrent_puts_from_threads, .timeout = 60)
{
    fixture f;
    open_store(&f);
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    put_job jobs[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (put_job){.store = f.store, .index = i};
        cr_assert_eq(pthread_create(&t[i], NULL, put_many, &jobs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(atomic_load(&jobs[i].failures), 0);
    }
    char err[512], key[64];
    uint8_t *data;
    size_t len;
    for (int i = 0; i < THREADS; i++)
        for (int k = 0; k < 25; k++) {
            snprintf(key, sizeof key, "t%d/obj%d", i, k);
            cr_assert_eq(ss_object_get(f.store, key, 64, &data, &len, err, sizeof err), 0, "%s", err);
            cr_assert_eq(len, strlen(key));
            cr_assert_eq(memcmp(data, key, len), 0);
            free(data);
        }
    /* The contended name holds one writer's bytes, whole. */
    cr_assert_eq(ss_object_get(f.store, "contended/name", 64, &data, &len, err, sizeof err), 0);
    cr_assert(len >= 7 && data[0] == 't' && strstr((char *)data, "/obj"), "%s", data);
    free(data);
    cr_assert_eq(temp_files(&f), 0);
    close_store(&f);
}

typedef struct {
    ss_object_store *store;
    atomic_int stop;
    int seen_absent, seen_whole, seen_other;
    uint64_t sizes[2];
} poller;

static void *poll_reads(void *arg)
{
    poller *p = arg;
    char err[512];
    while (!atomic_load(&p->stop)) {
        uint8_t *data;
        size_t len;
        ss_object_status st = ss_object_get(p->store, "poll/obj", 64u << 20, &data, &len, err, sizeof err);
        if (st == SS_OBJECT_NOT_FOUND)
            p->seen_absent++;
        else if (st == SS_OBJECT_OK && (len == p->sizes[0] || len == p->sizes[1]) &&
                 data[len - 1] == (uint8_t)(len == p->sizes[0] ? 1 : 2))
            p->seen_whole++;
        else
            p->seen_other++;
        free(data);
    }
    return NULL;
}

/* One version of the object: `size` bytes all equal to `fill`. */
static void write_version(ss_object_store *store, uint64_t size, uint8_t fill)
{
    char err[512];
    static uint8_t chunk[16384];
    memset(chunk, fill, sizeof chunk);
    ss_object_writer *w;
    cr_assert_eq(ss_object_put_begin(store, "poll/obj", &w, err, sizeof err), 0);
    for (uint64_t off = 0; off < size; off += sizeof chunk) {
        cr_assert_eq(ss_object_put_write(w, chunk, sizeof chunk, err, sizeof err), 0);
        usleep(200);
    }
    cr_assert_eq(ss_object_put_commit(w, NULL, err, sizeof err), 0, "%s", err);
}

Test(object_store, a_reader_never_sees_a_partial_object, .timeout = 60)
{
    fixture f;
    open_store(&f);
    poller p = {.store = f.store, .sizes = {2u << 20, 3u << 20}};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, poll_reads, &p), 0);
    write_version(f.store, p.sizes[0], 1);
    write_version(f.store, p.sizes[1], 2); /* replaces the first */
    usleep(20000);
    atomic_store(&p.stop, 1);
    pthread_join(t, NULL);
    cr_assert_eq(p.seen_other, 0, "partial objects seen %d times", p.seen_other);
    cr_assert_gt(p.seen_absent, 0);
    cr_assert_gt(p.seen_whole, 0);
    close_store(&f);
}

Test(object_store, unknown_backend_is_refused_at_start)
{
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_not_null(s);
    cr_assert_str_eq(s->object_store_backend, "dir");
    cr_assert_str_eq(s->object_store_dir, "var/objects");
    cr_assert(ss_object_store_backend_known("dir"));
    cr_assert_not(ss_object_store_backend_known("s3"));
    cr_assert_eq(ss_config_set(s, "object_store_backend", "s3", err, sizeof err), 0);
    ss_object_store *store;
    cr_assert_eq(ss_object_store_open(s, &store, err, sizeof err), SS_OBJECT_BAD_CONFIG);
    cr_assert_null(store);
    cr_assert_str_eq(err, "object_store_backend must be one of: dir (got 's3')");
    ss_config_free(s);

    /* Every process's start-up refuses it too. */
    setenv("SCAISPEAK_OBJECT_STORE_BACKEND", "s3", 1);
    char *argv[] = {"test", NULL};
    int code = -1;
    cr_assert_null(ss_config_from_args(1, argv, "test", SS_SCOPE_GATEWAY, &code));
    cr_assert_eq(code, 2);
    unsetenv("SCAISPEAK_OBJECT_STORE_BACKEND");
}

Test(object_store, unusable_root_is_a_config_error)
{
    char err[512];
    ss_settings *s = ss_config_load(NULL, err, sizeof err);
    cr_assert_eq(ss_config_set(s, "object_store_dir", "/proc/ss_no_such_place/objects", err, sizeof err),
                 0);
    ss_object_store *store;
    cr_assert_eq(ss_object_store_open(s, &store, err, sizeof err), SS_OBJECT_BAD_CONFIG);
    cr_assert(strstr(err, "object_store_dir"), "%s", err);
    ss_config_free(s);
}

/* A base voice's own speaker statistics for the CLI, kept in the voice
 * cache (voice_cache_dir, beside the prepared voices).
 *
 * Conditioning toward a clip (--voice-ref) or a prompt (--design), and
 * choosing the nearest base when --voice is not given, need each base
 * voice's own statistics: the voice speaks a fixed paragraph and the audio
 * is analysed, about 0.9 s of CPU per voice (model_profile.h,
 * cg_profile.h). A node measures them once per process; a command-line run
 * would measure all four bases on every call. So the first run writes each
 * voice's statistics to <cache>/<voice>.stats
 * (node/engine/voice/speaker_stats_file.h) and later runs read them.
 *
 * The statistics are a deterministic function of the program, the
 * libraries it runs (flite's front end and voices, libm, ...), the voice's
 * data, festival's model data read by our front end, and which CPU kernel
 * paths this CPU takes. The key names all of them: each file by path,
 * size, modification time, inode and device, and the CPU's AVX-512, AVX2
 * and FMA flags. A file measured under any other key is measured again and
 * replaced, so an upgraded package or a rebuilt binary never reads old
 * numbers. The loaded libraries are every object in the process (the
 * program's own link map) except the clustergen voices other than the one
 * measured, which come and go as the choice loads them.
 *
 * With voice_cache_dir off, or when the key cannot be made, the statistics
 * are measured every time; a cache file that cannot be written is noted on
 * stderr and the run goes on with what it measured. No global state. */
#include "cli/cli_base_stats.h"

#include "node/engine/acoustic/htsvoice_prepared.h"
#include "node/engine/clustergen/cg_profile.h"
#include "node/engine/frontend/festival_models.h"
#include "node/engine/voice/model_profile.h"
#include "node/engine/voice/speaker_stats_file.h"

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char buf[SS_STATS_KEY_MAX + 1];
    size_t len;
    int overflow;
    const char *own_cg_lib; /* "libflite_cmu_us_<name>.so" for a clustergen voice, else NULL */
} stats_key;

typedef int (*measure_fn)(void *ctx, ss_speaker_stats *out, char *err, size_t errlen);

static void key_printf(stats_key *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void key_printf(stats_key *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(k->buf + k->len, sizeof k->buf - k->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof k->buf - k->len)
        k->overflow = 1;
    else
        k->len += (size_t)n;
}

/* One line naming the file at path as it is now (or that it is absent). */
static void key_file(stats_key *k, const char *what, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        key_printf(k, "%s %s absent\n", what, path);
    else
        key_printf(k, "%s %s %lld %lld.%09ld %llu %llu\n", what, path, (long long)st.st_size,
                   (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long long)st.st_ino,
                   (unsigned long long)st.st_dev);
}

static int key_library(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    stats_key *k = arg;
    const char *name = info->dlpi_name;
    if (!name || name[0] != '/')
        return 0; /* the program itself (keyed as /proc/self/exe) and the vDSO */
    const char *base = strrchr(name, '/') + 1;
    if (strncmp(base, "libflite_cmu_us_", 16) == 0 &&
        !(k->own_cg_lib && strncmp(base, k->own_cg_lib, strlen(k->own_cg_lib)) == 0))
        return 0;
    key_file(k, "lib", name);
    return 0;
}

/* The key for a voice whose own data file is voice_file (the .htsvoice;
 * NULL for a clustergen voice, whose data is its library). 0, or -1 when
 * it does not fit. */
static int make_key(stats_key *k, const char *voice_file)
{
    key_file(k, "exe", "/proc/self/exe");
    __builtin_cpu_init();
    key_printf(k, "cpu avx512f %d avx2 %d fma %d\n", !!__builtin_cpu_supports("avx512f"),
               !!__builtin_cpu_supports("avx2"), !!__builtin_cpu_supports("fma"));
    dl_iterate_phdr(key_library, k);
    char path[PATH_MAX];
    for (size_t i = 0; ss_festival_model_file(i); i++) {
        snprintf(path, sizeof path, "%s/%s", SS_FESTIVAL_DATA_DIR, ss_festival_model_file(i));
        key_file(k, "data", path);
    }
    if (voice_file)
        key_file(k, "voice", voice_file);
    return k->overflow ? -1 : 0;
}

/* The statistics from <cache_dir>/<name>.stats when they were measured
 * under k, else measured by measure(ctx) and written there. */
static int cached_stats(const char *cache_dir, const char *name, const stats_key *k, measure_fn measure,
                        void *ctx, ss_speaker_stats *out, char *err, size_t errlen)
{
    char path[PATH_MAX], why[PATH_MAX + 128];
    if (!cache_dir[0] || k->overflow || snprintf(path, sizeof path, "%s/%s.stats", cache_dir, name) >= (int)sizeof path)
        return measure(ctx, out, err, errlen);
    ss_stats_file_status st = ss_speaker_stats_file_read(path, k->buf, out, why, sizeof why);
    if (st == SS_STATS_FILE_OK)
        return 0;
    if (st == SS_STATS_FILE_NO_MEMORY) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (measure(ctx, out, err, errlen) != 0)
        return -1;
    if (st == SS_STATS_FILE_DAMAGED)
        fprintf(stderr, "scaispeak: voice cache: %s unusable (%s); measured again\n", path, why);
    if (ss_voice_cache_dir_make(cache_dir) != 0)
        fprintf(stderr, "scaispeak: voice cache %s: cannot create: %s (statistics measured, not kept)\n",
                cache_dir, strerror(errno));
    else if (ss_speaker_stats_file_write(path, k->buf, out, why, sizeof why) != 0)
        fprintf(stderr, "scaispeak: voice cache: %s (statistics measured, not kept)\n", why);
    return 0;
}

/* voice_cache_dir resolved ("" when off or too long). */
static void cache_dir_of(const ss_settings *settings, char *dir, size_t len)
{
    if (ss_voice_cache_dir_resolve(settings->voice_cache_dir, dir, len) != 0)
        dir[0] = '\0';
}

typedef struct {
    const ss_voice *hts;
    ss_frontend *fe;
} hts_ctx;

static int measure_hts(void *ctx, ss_speaker_stats *out, char *err, size_t errlen)
{
    const hts_ctx *c = ctx;
    return ss_model_profile_compute(c->hts, c->fe, NULL, out, err, errlen);
}

int ss_cli_hts_stats(const ss_voice *hts, const char *voice_path, ss_frontend *fe, const ss_settings *settings,
                     ss_speaker_stats *out, char *err, size_t errlen)
{
    char dir[PATH_MAX], abs[PATH_MAX], name[128];
    cache_dir_of(settings, dir, sizeof dir);
    hts_ctx ctx = {.hts = hts, .fe = fe};
    if (!dir[0] || !realpath(voice_path, abs))
        return measure_hts(&ctx, out, err, errlen);
    uint64_t h = 1469598103934665603ull; /* the voice's directory tells apart voices of one file name */
    for (const unsigned char *p = (const unsigned char *)abs; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    snprintf(name, sizeof name, "%.64s.%016llx", strrchr(abs, '/') + 1, (unsigned long long)h);
    stats_key *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    make_key(k, abs);
    int rc = cached_stats(dir, name, k, measure_hts, &ctx, out, err, errlen);
    free(k);
    return rc;
}

static int measure_cg(void *ctx, ss_speaker_stats *out, char *err, size_t errlen)
{
    return ss_cg_profile_compute(ctx, out, err, errlen);
}

int ss_cli_cg_stats(ss_cg_voice *v, const char *engine_id, const ss_settings *settings, ss_speaker_stats *out,
                    char *err, size_t errlen)
{
    char dir[PATH_MAX], lib[64], name[64];
    cache_dir_of(settings, dir, sizeof dir);
    if (!dir[0])
        return measure_cg(v, out, err, errlen);
    snprintf(lib, sizeof lib, "libflite_cmu_us_%s.so", v->name);
    snprintf(name, sizeof name, "cg_%s", engine_id);
    stats_key *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    k->own_cg_lib = lib;
    make_key(k, NULL);
    int rc = cached_stats(dir, name, k, measure_cg, v, out, err, errlen);
    free(k);
    return rc;
}

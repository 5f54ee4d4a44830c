/* libFuzzer target: prepared voice files (node/engine/acoustic/
 * htsvoice_prepared.c), the CLI's voice cache. The bytes are written to a
 * temporary file and read back with ss_htsvoice_read_prepared, with the
 * source identity taken from the header the bytes carry (so the fuzzer gets
 * past the staleness check and into the description); a voice that reads
 * is then searched like fuzz_htsvoice does. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "node/engine/acoustic/htsvoice_prepared.h"

static const char LABEL[] =
    "x^pau-h+ax=l@1_2/A:0_0_0/B:1-0-2@1-1&1-2#1-1$1-1!0-1;0-1|ax/C:0+0+2/D:0_0/E:content+1@1+1&0+1"
    "#0+1/F:content_1/G:0_0/H:1=1@1=1|L-L%/I:0=0/J:2+1-1";

/* src_size, mtime s/ns and inode sit at bytes 32..63 of the header. */
static void source_from_header(const uint8_t *data, size_t size, struct stat *src)
{
    memset(src, 0, sizeof *src);
    uint64_t f[4] = {0};
    if (size >= 64)
        memcpy(f, data + 32, sizeof f);
    src->st_size = (off_t)f[0];
    src->st_mtim.tv_sec = (time_t)f[1];
    src->st_mtim.tv_nsec = (long)f[2];
    src->st_ino = (ino_t)f[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_prepared_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    ssize_t w = write(fd, data, size);
    close(fd);
    if (w != (ssize_t)size) {
        unlink(path);
        return 0;
    }
    struct stat src;
    source_from_header(data, size, &src);
    ss_htsvoice *v = NULL;
    char err[512];
    if (ss_htsvoice_read_prepared(path, &src, &v, err, sizeof err) == SS_PREPARED_OK) {
        size_t llen = sizeof LABEL - 1;
        for (int st = 2; st < 2 + v->nstates && st < 8; st++)
            ss_voice_model_lookup(&v->streams[0].pdf, st, LABEL, llen, err, sizeof err);
        ss_voice_model_lookup(&v->dur, 2, LABEL, llen, err, sizeof err);
        ss_htsvoice_gv_on(v, LABEL, llen);
        ss_htsvoice_free(v);
    }
    unlink(path);
    return 0;
}

/* voice_load_bench VOICE [CACHE_DIR]: loads the .htsvoice once in this
 * fresh process (through the prepared-voice cache in CACHE_DIR when given,
 * as `scaispeak synth` does) and prints the CPU time (user + system,
 * CLOCK_PROCESS_CPUTIME_ID) the load took, in ms, and whether the prepared
 * form was mapped: "voice_load_ms 4.21 prepared". A fresh process each time is the
 * point: it is what `scaispeak synth` pays (cold malloc arenas, page
 * faults), which a loop of loads in one process would hide. Used by
 * tests/bench/cli_startup_bench.py (issue 17: a voice loads in <= 5 ms). */
#include "node/engine/acoustic/htsvoice_prepared.h"

#include <stdio.h>
#include <time.h>

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: voice_load_bench VOICE.htsvoice [CACHE_DIR]\n");
        return 2;
    }
    char err[512], note[1024];
    double t0 = cpu_ms();
    ss_htsvoice *v = ss_htsvoice_load_cached(argv[1], argc == 3 ? argv[2] : NULL, note, sizeof note,
                                             err, sizeof err);
    double t1 = cpu_ms();
    if (!v) {
        fprintf(stderr, "voice_load_bench: %s\n", err);
        return 1;
    }
    if (note[0])
        fprintf(stderr, "voice_load_bench: %s\n", note);
    printf("voice_load_ms %.3f %s\n", t1 - t0, v->prepared_map ? "prepared" : "parsed");
    ss_htsvoice_free(v);
    return 0;
}

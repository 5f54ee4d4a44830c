/* The prepared form of an HTS voice: what ss_htsvoice_load builds from a
 * .htsvoice (its parsed trees, compiled questions, PDFs), written once to a
 * binary file and read back without parsing, the PDFs memory-mapped in
 * place. Loading the text form costs a parse of ~0.6 MB of tree text and a
 * copy of ~1.5 MB of floats; the prepared form is a few memcpy's and one
 * mapping (issue 17: a voice loads in <= 5 ms).
 *
 * The file belongs to one source file: it records the source's size,
 * modification time and inode, and a prepared file that does not match the
 * source (or this build's format) is "stale", never used. It is a cache,
 * machine-local (native byte order and type sizes, both recorded and
 * checked), written to a temporary name and renamed, so a reader sees a whole
 * file or none. A damaged file is reported as such (every count and offset is
 * checked against the file's size) and the caller rebuilds it.
 *
 * ss_htsvoice_load_cached is what the engine calls: the prepared file when
 * it is current, else the .htsvoice, whose prepared form it then writes. */
#ifndef SS_ENGINE_HTSVOICE_PREPARED_H
#define SS_ENGINE_HTSVOICE_PREPARED_H

#include "node/engine/acoustic/htsvoice.h"

#include <stddef.h>
#include <sys/stat.h>

typedef enum {
    SS_PREPARED_OK = 0,
    SS_PREPARED_ABSENT,  /* no prepared file */
    SS_PREPARED_STALE,   /* made from another version of the source, or by another format */
    SS_PREPARED_DAMAGED, /* truncated or inconsistent */
    SS_PREPARED_NO_MEMORY,
} ss_prepared_status;

/* Writes v (loaded from a source file described by src) to path, atomically
 * (path.tmp.<pid>, fsync, rename). 0, or -1 with err. */
int ss_htsvoice_write_prepared(const ss_htsvoice *v, const struct stat *src, const char *path,
                               char *err, size_t errlen);

/* Reads the prepared file at path if it was made from src. On SS_PREPARED_OK
 * *out is the voice (its PDFs point into a read-only mapping of the file,
 * released by ss_htsvoice_free); otherwise err says why. */
ss_prepared_status ss_htsvoice_read_prepared(const char *path, const struct stat *src,
                                             ss_htsvoice **out, char *err, size_t errlen);

/* The voice at path through the prepared-form cache in cache_dir (created
 * when missing; NULL or "" = no cache: a plain ss_htsvoice_load). A cache
 * that cannot be read or written is not an error for the voice: the voice
 * is loaded from its source and note (noteLen bytes, "" when all went well)
 * says what happened, for the caller to log. NULL with err only when the
 * voice itself cannot be loaded. */
ss_htsvoice *ss_htsvoice_load_cached(const char *path, const char *cache_dir, char *note,
                                     size_t notelen, char *err, size_t errlen);

/* The directory the voice_cache_dir setting names: "auto" is
 * $XDG_CACHE_HOME/scaispeak, else $HOME/.cache/scaispeak, else none; "off"
 * or "" is none (out = ""); anything else is that directory. 0, or -1 when
 * it does not fit in out. */
int ss_voice_cache_dir_resolve(const char *setting, char *out, size_t outlen);

/* Creates the cache directory dir and any missing parents (a fresh account
 * has no ~/.cache: the XDG base directory spec asks applications to create
 * it, 0700); dir itself 0755. 0, or -1 with errno. */
int ss_voice_cache_dir_make(const char *dir);

#endif

/* Tenant blocklist (see blocklist.h): the text normaliser, the check, and
 * the /admin/blocklist handlers. Nothing here is mutable but the requests'
 * own buffers; the entity and reading tables are constant. */
#include "gateway/blocklist.h"

#include "gateway/gateway.h"
#include "gateway/state_call.h"
#include "gateway/state_keys.h"
#include "gateway/voice_index.h"

#include "common/log.h"

#include <jansson.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- the normaliser: text -> " word word " (see blocklist.h) */

/* Decodes one UTF-8 sequence at s; *cp gets the code point and the length is
 * returned. An invalid sequence is one byte with *cp = -1. */
static size_t utf8_next(const unsigned char *s, long *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    long v = n == 2 ? (s[0] & 0x1F) : n == 3 ? (s[0] & 0x0F) : (s[0] & 0x07);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            n = 0;
        else
            v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = n ? v : -1;
    return n ? n : 1;
}

static size_t utf8_put(char *o, long cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Whether the tag at s ('<' ...) separates words whatever the engine does
 * with other markup: <break>, paragraphs and sentences. */
static bool tag_separates(const char *s)
{
    static const char *const SEPARATING[] = {"break", "p", "s", "paragraph", "sentence"};
    s += s[1] == '/' ? 2 : 1;
    size_t n = strcspn(s, " \t\r\n/>");
    for (size_t i = 0; i < sizeof SEPARATING / sizeof SEPARATING[0]; i++)
        if (strlen(SEPARATING[i]) == n && !strncmp(s, SEPARATING[i], n))
            return true;
    return false;
}

/* SSML to its words: tags and comments are removed; <break>, <p> and <s>
 * become a space, so "bad<break/>word" reads "bad word", and with
 * tags_split every other tag does too ("bad<emphasis>word" is read both
 * ways). An unterminated '<' is kept as text (more text checked, never
 * less). Output is never longer than input. */
static void strip_tags(const char *s, bool tags_split, char *o)
{
    while (*s) {
        const char *end = NULL;
        if (!strncmp(s, "<!--", 4)) {
            end = strstr(s + 4, "-->");
            if (end)
                end += 2;
        } else if (*s == '<') {
            end = strchr(s, '>');
        }
        if (end) {
            if (tags_split || tag_separates(s))
                *o++ = ' ';
            s = end + 1;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

static const struct {
    const char *name;
    long cp;
} NAMED_ENTITIES[] = {
    {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0},
    {"shy", 0xAD}, {"zwsp", 0x200B}, {"zwnj", 0x200C}, {"zwj", 0x200D}, {"hyphen", 0x2010},
    {"ndash", 0x2013}, {"mdash", 0x2014}, {"minus", 0x2212},
};

/* The code point of the entity at s ("&...;"), its length in *len; -1 when s
 * does not start a known, well-formed entity. */
static long entity_at(const char *s, size_t *len)
{
    const char *semi = strchr(s, ';');
    if (!semi || semi - s > 12)
        return -1;
    *len = (size_t)(semi - s) + 1;
    if (s[1] == '#') {
        bool hex = s[2] == 'x' || s[2] == 'X';
        const char *d = s + (hex ? 3 : 2);
        if (d == semi)
            return -1;
        long v = 0;
        for (; d < semi; d++) {
            int digit = isdigit((unsigned char)*d) ? *d - '0'
                        : hex && isxdigit((unsigned char)*d) ? tolower((unsigned char)*d) - 'a' + 10 : -1;
            if (digit < 0 || v > 0x10FFFF)
                return -1;
            v = v * (hex ? 16 : 10) + digit;
        }
        return v > 0 && v <= 0x10FFFF && (v < 0xD800 || v > 0xDFFF) ? v : -1;
    }
    for (size_t i = 0; i < sizeof NAMED_ENTITIES / sizeof NAMED_ENTITIES[0]; i++) {
        size_t n = strlen(NAMED_ENTITIES[i].name);
        if (*len == n + 2 && !strncmp(s + 1, NAMED_ENTITIES[i].name, n))
            return NAMED_ENTITIES[i].cp;
    }
    return -1;
}

/* Decodes numeric and the common named entities in place order; an unknown
 * one stays as text. Every entity is at least as long as its UTF-8. */
static void decode_entities(const char *s, char *o)
{
    while (*s) {
        size_t len;
        long cp = *s == '&' ? entity_at(s, &len) : -1;
        if (cp >= 0) {
            o += utf8_put(o, cp);
            s += len;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
}

static bool is_zero_width(long cp)
{
    return (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || cp == 0xFEFF || cp == 0xAD;
}

/* Non-ASCII code points read as separators: Unicode spaces, dashes, quotes,
 * the ellipsis and the minus sign. */
static bool is_wide_separator(long cp)
{
    return cp < 0 || cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200A) || (cp >= 0x2010 && cp <= 0x2027) ||
           cp == 0x202F || cp == 0x205F || cp == 0x2212 || cp == 0x3000 || cp == 0x85 ||
           (cp >= 0xA1 && cp <= 0xBF && cp != 0xAA && cp != 0xB5 && cp != 0xBA);
}

/* Folds to " w1 w2 ... ": ASCII lower-cased, every run of white space,
 * punctuation and separators one space, zero-width characters removed (or,
 * with zw_split, read as a separator). Output is at most input + 2 bytes. */
static void fold(const char *s, bool zw_split, char *o)
{
    *o++ = ' ';
    while (*s) {
        long cp;
        size_t n = utf8_next((const unsigned char *)s, &cp);
        bool sep = cp < 0x80 && cp >= 0 ? !isalnum((int)cp) : is_wide_separator(cp);
        if (is_zero_width(cp))
            sep = zw_split;
        if (sep) {
            if (o[-1] != ' ')
                *o++ = ' ';
        } else if (!is_zero_width(cp)) {
            if (cp >= 0 && cp < 0x80) {
                *o++ = (char)tolower((int)cp);
            } else {
                memcpy(o, s, n);
                o += n;
            }
        }
        s += n;
    }
    if (o[-1] != ' ')
        *o++ = ' ';
    *o = '\0';
}

bool blocklist_normalised_has_words(const char *normalised)
{
    return strcmp(normalised, " ") != 0;
}

char *blocklist_normalise(const char *text, unsigned how)
{
    size_t n = strlen(text);
    char *a = malloc(n + 1), *b = malloc(n + 3);
    if (!a || !b) {
        free(a);
        free(b);
        return NULL;
    }
    if (how & BLOCKLIST_AS_SSML) {
        strip_tags(text, (how & BLOCKLIST_TAGS_SPLIT) != 0, b);
        decode_entities(b, a);
    } else {
        decode_entities(text, a);
    }
    fold(a, (how & BLOCKLIST_ZERO_WIDTH_SPLITS) != 0, b);
    free(a);
    return b;
}

/* The readings of a text a pattern is matched against: as SSML (inline tags
 * joining and splitting words) and as plain text, each with zero-width
 * characters joining and splitting words. A pattern matching any of them
 * blocks the text. */
static const unsigned TEXT_READINGS[] = {
    BLOCKLIST_AS_SSML,
    BLOCKLIST_AS_SSML | BLOCKLIST_ZERO_WIDTH_SPLITS,
    BLOCKLIST_AS_SSML | BLOCKLIST_TAGS_SPLIT,
    BLOCKLIST_AS_SSML | BLOCKLIST_TAGS_SPLIT | BLOCKLIST_ZERO_WIDTH_SPLITS,
    0,
    BLOCKLIST_ZERO_WIDTH_SPLITS,
};
#define NREADINGS (sizeof TEXT_READINGS / sizeof TEXT_READINGS[0])

/* Why entry e cannot be used, or NULL when it is a valid entry. */
static const char *entry_defect(const json_t *e)
{
    if (!json_is_object(e))
        return "is not a JSON object";
    const char *kind = json_string_value(json_object_get(e, "kind"));
    if (!kind)
        return "has no kind";
    if (!strcmp(kind, "speaker"))
        return NULL;
    if (strcmp(kind, "text") != 0)
        return "has an unknown kind";
    const char *pat = json_string_value(json_object_get(e, "pattern"));
    if (!pat || !*pat)
        return "is a text entry without a pattern";
    return NULL;
}

/* Matches one text entry's pattern against the readings: a hit, a pass, or
 * BROKEN for a pattern with no word in it. */
static blocklist_verdict match_pattern(const char *pattern, char *const *readings, const char *eid,
                                       char *why, size_t whycap)
{
    char *p = blocklist_normalise(pattern, 0);
    if (!p)
        return BLOCKLIST_NO_MEMORY;
    blocklist_verdict v = BLOCKLIST_PASS;
    if (!blocklist_normalised_has_words(p)) {
        snprintf(why, whycap, "blocklist entry %s has a pattern with no words", eid);
        v = BLOCKLIST_BROKEN;
    }
    for (size_t r = 0; r < NREADINGS && v == BLOCKLIST_PASS; r++)
        if (strstr(readings[r], p))
            v = BLOCKLIST_HIT;
    free(p);
    return v;
}

blocklist_verdict blocklist_check(const char *const *ids, const char *const *entries, const size_t *lens,
                                  size_t n, const char *text, char *id, size_t idcap, char *why,
                                  size_t whycap)
{
    snprintf(id, idcap, "%s", "");
    snprintf(why, whycap, "%s", "");
    char *readings[NREADINGS] = {0};
    blocklist_verdict v = BLOCKLIST_PASS;
    for (size_t r = 0; r < NREADINGS && v == BLOCKLIST_PASS; r++)
        if (!(readings[r] = blocklist_normalise(text, TEXT_READINGS[r])))
            v = BLOCKLIST_NO_MEMORY;
    for (size_t i = 0; i < n && v == BLOCKLIST_PASS; i++) {
        json_error_t jerr;
        json_t *e = json_loadb(entries[i], lens[i], 0, &jerr);
        const char *defect = e ? entry_defect(e) : "is not JSON";
        const char *eid = ids[i];
        if (defect) {
            snprintf(why, whycap, "blocklist entry %s %s", eid, defect);
            v = BLOCKLIST_BROKEN;
        } else if (!strcmp(json_string_value(json_object_get(e, "kind")), "text")) {
            v = match_pattern(json_string_value(json_object_get(e, "pattern")), readings, eid, why, whycap);
            if (v == BLOCKLIST_HIT)
                snprintf(id, idcap, "%s", eid);
        }
        json_decref(e);
    }
    for (size_t r = 0; r < NREADINGS; r++)
        free(readings[r]);
    return v;
}

static void on_list(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_ARRAY) {
        gw_state_unavailable(r, "unexpected reply to HVALS");
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < reply->elements; i++) {
        json_t *e = json_loadb(reply->element[i]->str, reply->element[i]->len, 0, NULL);
        if (e && json_object_get(e, "_fingerprint")) { /* a speaker's fingerprint stays in the store */
            json_object_del(e, "_fingerprint");
            json_object_set_new(e, "fingerprint", json_true());
        }
        if (e)
            json_array_append_new(items, e);
        else
            ss_warn(r->id, "blocklist entry %zu of the tenant is not JSON; not listed", i);
    }
    gw_reply_ok(r, json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

static bool tenant_of(gw_request *r, char *key, size_t cap)
{
    if (!*r->caller.tenant_id) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller belongs to no tenant", NULL);
        return false;
    }
    if (gw_state_key(key, cap, GW_KEY_TENANT_BLOCKLIST, r->caller.tenant_id, NULL) != 0) {
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, "the caller's tenant id is too long", NULL);
        return false;
    }
    return true;
}

void gw_handle_blocklist_list(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!tenant_of(r, key, sizeof key))
        return;
    const char *argv[] = {"HVALS", key};
    gw_state_command(r, 2, argv, on_list, NULL, NULL);
}

static void entry_free(void *entry)
{
    json_decref(entry);
}

static void on_added(gw_request *r, void *user, const redisReply *reply)
{
    json_t *entry = user;
    (void)reply;
    ss_info(r->id, "blocklist entry %s added", json_string_value(json_object_get(entry, "id")));
    gw_reply_json(r, 201, ss_envelope_ok(entry, r->id));
}

/* Whether a new pattern has a word to match (false, *oom set, when out of
 * memory). */
static bool pattern_has_words(const char *pattern, bool *oom)
{
    char *p = blocklist_normalise(pattern, 0);
    *oom = p == NULL;
    bool words = p && blocklist_normalised_has_words(p);
    free(p);
    return words;
}

/* The problems of a new entry's body into details (none: 0). -1 when out
 * of memory. */
static int entry_problems(const json_t *body, json_t *details)
{
    bool oom = false;
    const char *kind = json_string_value(json_object_get(body, "kind"));
    json_t *pattern = json_object_get(body, "pattern"), *voice = json_object_get(body, "voice_id");
    json_t *note = json_object_get(body, "note");
    const char *field = NULL, *why = NULL;
    if (!json_is_object(body))
        field = "body", why = "must be an object";
    else if (!kind || (strcmp(kind, "text") && strcmp(kind, "speaker")))
        field = "kind", why = "must be text or speaker";
    else if (!strcmp(kind, "text") && (!json_is_string(pattern) || json_string_length(pattern) == 0 ||
                                       json_string_length(pattern) > 500))
        field = "pattern", why = "a text entry needs a pattern of 1..500 characters";
    else if (!strcmp(kind, "text") && !pattern_has_words(json_string_value(pattern), &oom))
        field = "pattern", why = "a text entry's pattern needs at least one letter or digit";
    else if (!strcmp(kind, "speaker") && (!json_is_string(voice) || json_string_length(voice) == 0))
        field = "voice_id", why = "a speaker entry needs a voice_id";
    if (oom || (why && json_array_append_new(details, ss_detail(field, why)) != 0))
        return -1;
    if (note && (!json_is_string(note) || json_string_length(note) > 500) &&
        json_array_append_new(details, ss_detail("note", "must be a string of at most 500 characters")) != 0)
        return -1;
    return (int)json_array_size(details);
}

/* A new entry {id, kind, note, created_at} (NULL when out of memory or
 * without randomness; *why says which). */
static json_t *entry_new(const char *kind, const json_t *note, const char **why)
{
    char id[40], at[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (ss_id_new("bl_", 16, id, sizeof id) != 0) {
        *why = "cannot generate an entry id (no randomness)";
        return NULL;
    }
    *why = "out of memory";
    return json_pack("{s:s,s:s,s:s,s:s}", "id", id, "kind", kind, "note", note ? json_string_value(note) : "",
                     "created_at", at);
}

/* Stores entry (owned) in the tenant's blocklist and answers 201 with its
 * public view. */
static void store_entry(gw_request *r, json_t *entry)
{
    char key[GW_STATE_KEY_MAX];
    if (!tenant_of(r, key, sizeof key)) {
        json_decref(entry);
        return;
    }
    char *ej = json_dumps(entry, JSON_COMPACT);
    if (!ej) {
        json_decref(entry);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    if (json_object_get(entry, "_fingerprint")) { /* the answer shows that there is one, as the list does */
        json_object_del(entry, "_fingerprint");
        json_object_set_new(entry, "fingerprint", json_true());
    }
    const char *argv[] = {"HSET", key, json_string_value(json_object_get(entry, "id")), ej};
    gw_state_command(r, 4, argv, on_added, entry, entry_free);
    free(ej);
}

/* A speaker entry: the voice (a clone of the caller's tenant) read, its
 * reference's fingerprint (kept in its record) copied into the entry. The
 * entry (user) is this callback's to release (voice_index_read's done owns
 * its user). */
static void on_speaker_voice(gw_request *r, void *user, json_t *record, const char *raw)
{
    (void)raw;
    json_t *entry = user;
    const char *vt = json_string_value(json_object_get(record, "tenant_id"));
    const char *scope = json_string_value(json_object_get(record, "scope"));
    const json_t *fp = json_object_get(record, "_fingerprint");
    const char *vid = json_string_value(json_object_get(entry, "voice_id"));
    if (!record || !vt || strcmp(vt, r->caller.tenant_id) || (scope && !strcmp(scope, "global"))) {
        gw_reply_error(r, SS_ERR_VOICE_NOT_FOUND,
                       "no such voice in this tenant (an erased voice's speaker is blocked when it is erased: "
                       "DELETE /voices/{id}?block_speaker=true)",
                       json_pack("[{s:s,s:s}]", "field", "voice_id", "message", vid ? vid : ""));
        json_decref(entry);
        return;
    }
    if (!fp) {
        const char *why = "the voice has no reference clip, so no speaker to block";
        gw_reply_error(r, SS_ERR_VALIDATION_ERROR, why, json_pack("[{s:s,s:s}]", "field", "voice_id", "message", why));
        json_decref(entry);
        return;
    }
    if (json_object_set(entry, "_fingerprint", (json_t *)fp) != 0) {
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, "out of memory", NULL);
        json_decref(entry);
        return;
    }
    store_entry(r, entry);
}

void gw_handle_blocklist_add(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!tenant_of(r, key, sizeof key))
        return;
    json_t *body = NULL;
    if (gw_request_json(r, &body) != 0)
        return;
    json_t *details = json_array();
    int problems = details ? entry_problems(body, details) : -1;
    if (gw_reply_field_problems(r, problems, details)) {
        json_decref(body);
        return;
    }
    const char *kind = json_string_value(json_object_get(body, "kind")), *why = NULL;
    json_t *entry = entry_new(kind, json_object_get(body, "note"), &why);
    const bool text = !strcmp(kind, "text");
    if (!entry || json_object_set(entry, text ? "pattern" : "voice_id",
                                  json_object_get(body, text ? "pattern" : "voice_id")) != 0) {
        json_decref(body);
        json_decref(entry);
        gw_reply_error(r, SS_ERR_INTERNAL_ERROR, why ? why : "out of memory", NULL);
        return;
    }
    json_decref(body);
    if (text)
        store_entry(r, entry);
    else
        voice_index_read(r, json_string_value(json_object_get(entry, "voice_id")), on_speaker_voice, entry,
                         entry_free);
}

static void on_deleted(gw_request *r, void *user, const redisReply *reply)
{
    (void)user;
    if (reply->type != REDIS_REPLY_INTEGER || reply->integer != 1) {
        gw_reply_error(r, SS_ERR_BLOCKLIST_ENTRY_NOT_FOUND, "no such blocklist entry", NULL);
        return;
    }
    gw_reply_ok(r, json_pack("{s:s,s:b}", "id", r->params[0], "deleted", 1));
}

void gw_handle_blocklist_delete(gw_request *r)
{
    char key[GW_STATE_KEY_MAX];
    if (!tenant_of(r, key, sizeof key))
        return;
    const char *argv[] = {"HDEL", key, r->params[0]};
    gw_state_command(r, 3, argv, on_deleted, NULL, NULL);
}

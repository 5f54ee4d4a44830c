/* Unit tests for the pure pieces of asynchronous jobs: cutting a job's text
 * into parts (worker/job_parts.h), Range headers (gateway/job_routes.h),
 * job ids and the job object's API form (gateway/job_store.h). */
#include "gateway/job_routes.h"
#include "gateway/job_store.h"
#include "worker/job_parts.h"

#include <criterion/criterion.h>
#include <string.h>

static size_t end_of(const char *t, size_t from, size_t max)
{
    return job_part_end(t, strlen(t), from, max);
}

Test(job_parts, parts_end_at_the_last_sentence_end_that_fits)
{
    const char *t = "One two. Three four! Five six? Seven.";
    cr_assert_eq(end_of(t, 0, 100), strlen(t));          /* the rest fits */
    cr_assert_eq(end_of(t, 0, 25), strlen("One two. Three four!"));
    cr_assert_eq(end_of(t, 0, 12), strlen("One two."));
    size_t next = job_part_next(t, strlen(t), strlen("One two."));
    cr_assert_str_eq(t + next, "Three four! Five six? Seven.");
}

Test(job_parts, decimals_closing_quotes_and_paragraphs)
{
    const char *t = "Pi is 3.14 or so. \"Quoted.\" Next one here";
    cr_assert_eq(end_of(t, 0, 13), strlen("Pi is 3.14 or")); /* no sentence end fits: white space */
    cr_assert_eq(end_of(t, 0, 30), strlen("Pi is 3.14 or so. \"Quoted.\""));
    const char *p = "no stop here\n\nnext paragraph goes on";
    cr_assert_eq(end_of(p, 0, 20), strlen("no stop here"));
}

Test(job_parts, a_run_without_space_is_cut_on_a_character_boundary)
{
    const char *t = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"; /* é x 5, 10 bytes */
    size_t e = end_of(t, 0, 5);
    cr_assert_eq(e, 4);
    cr_assert_eq(((unsigned char)t[e] & 0xC0), 0xC0);
}

Test(job_parts, ssml_is_one_part)
{
    const char *t = "<speak>One. Two. Three. Four. Five. Six.</speak>";
    cr_assert_eq(end_of(t, 0, 10), strlen(t));
}

Test(job_parts, every_byte_lands_in_exactly_one_part)
{
    char t[4000];
    size_t n = 0;
    for (int i = 0; n + 40 < sizeof t; i++)
        n += (size_t)snprintf(t + n, sizeof t - n, "Sentence number %d is here. ", i);
    size_t from = 0, covered = 0, parts = 0;
    while (from < n) {
        size_t end = job_part_end(t, n, from, 300);
        cr_assert(end > from && end - from <= 300);
        covered += end - from;
        from = job_part_next(t, n, end);
        parts++;
    }
    cr_assert(parts >= n / 300);
    cr_assert(covered <= n);
}

Test(job_range, ranges)
{
    uint64_t a = 0, b = 0;
    cr_assert_eq(job_range_parse(NULL, 100, &a, &b), JOB_RANGE_NONE);
    cr_assert_eq(job_range_parse("bytes=10-19", 100, &a, &b), JOB_RANGE_OK);
    cr_assert(a == 10 && b == 19);
    cr_assert_eq(job_range_parse("bytes=90-", 100, &a, &b), JOB_RANGE_OK);
    cr_assert(a == 90 && b == 99);
    cr_assert_eq(job_range_parse("bytes=90-500", 100, &a, &b), JOB_RANGE_OK);
    cr_assert(a == 90 && b == 99);
    cr_assert_eq(job_range_parse("bytes=-5", 100, &a, &b), JOB_RANGE_OK);
    cr_assert(a == 95 && b == 99);
    cr_assert_eq(job_range_parse("bytes=-500", 100, &a, &b), JOB_RANGE_OK);
    cr_assert(a == 0 && b == 99);
    cr_assert_eq(job_range_parse("bytes=100-", 100, &a, &b), JOB_RANGE_UNSATISFIABLE);
    cr_assert_eq(job_range_parse("bytes=-0", 100, &a, &b), JOB_RANGE_UNSATISFIABLE);
    /* what we do not serve is ignored (the whole object): */
    cr_assert_eq(job_range_parse("bytes=1-2,5-6", 100, &a, &b), JOB_RANGE_NONE);
    cr_assert_eq(job_range_parse("items=1-2", 100, &a, &b), JOB_RANGE_NONE);
    cr_assert_eq(job_range_parse("bytes=5-2", 100, &a, &b), JOB_RANGE_NONE);
    cr_assert_eq(job_range_parse("bytes=x-2", 100, &a, &b), JOB_RANGE_NONE);
    cr_assert_eq(job_range_parse("bytes=1-2x", 100, &a, &b), JOB_RANGE_NONE);
}

Test(job_store, ids)
{
    cr_assert(job_id_valid("job_abcdEFGH1234"));
    cr_assert(!job_id_valid("job_abc"));
    cr_assert(!job_id_valid("vc_abcdEFGH1234"));
    cr_assert(!job_id_valid("job_abcd/../EFGH"));
    cr_assert(!job_id_valid(NULL));
}

Test(job_store, api_object)
{
    json_t *rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "job_id", "job_abcdEFGH1234",
                            "status", "completed", "progress", "1", "characters", "6000", "created_at",
                            "1764950000000", "started_at", "1764950000100", "finished_at", "1764950004100",
                            "duration_ms", "400000", "backend_used", "A", "attempts", "2", "result_format", "wav",
                            "result_bytes", "12800044");
    json_t *o = job_api_object(rec, "/x/audio");
    cr_assert_str_eq(json_string_value(json_object_get(o, "status")), "completed");
    cr_assert_float_eq(json_real_value(json_object_get(o, "progress")), 1.0, 1e-9);
    cr_assert_eq(json_integer_value(json_object_get(o, "characters")), 6000);
    cr_assert_str_eq(json_string_value(json_object_get(o, "created_at")), "2025-12-05T15:53:20.000Z");
    json_t *res = json_object_get(o, "result");
    cr_assert_str_eq(json_string_value(json_object_get(res, "audio_url")), "/x/audio");
    cr_assert_eq(json_integer_value(json_object_get(res, "bytes")), 12800044);
    cr_assert_null(json_object_get(o, "error"));
    json_decref(o);
    json_object_set_new(rec, "status", json_string("queued"));
    json_object_del(rec, "started_at");
    o = job_api_object(rec, "/x/audio");
    cr_assert(json_is_null(json_object_get(o, "started_at")));
    cr_assert_null(json_object_get(o, "result"));
    json_decref(o);
    json_decref(rec);
}

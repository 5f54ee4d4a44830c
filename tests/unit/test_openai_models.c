/* Unit tests for gateway/openai_models.c's table: the names the alias
 * accepts are OpenAI's speech models, exactly; the list of names (used in
 * 422 and 404 messages) is bounded by its buffer. The routes themselves are
 * exercised through the OpenAI SDK (tests/integration/test_openai_sdk.py). */
#include "gateway/openai_models.h"

#include <criterion/criterion.h>
#include <string.h>

Test(openai_models, known_names)
{
    cr_assert(gw_openai_model_known("tts-1"));
    cr_assert(gw_openai_model_known("tts-1-hd"));
    cr_assert(gw_openai_model_known("gpt-4o-mini-tts"));
    cr_assert(gw_openai_model_known("gpt-4o-mini-tts-2025-12-15"));
    cr_assert_not(gw_openai_model_known("TTS-1"));
    cr_assert_not(gw_openai_model_known("whisper-1"));
    cr_assert_not(gw_openai_model_known(""));
    cr_assert_not(gw_openai_model_known(NULL));
}

Test(openai_models, names_fit_their_buffer)
{
    char buf[128];
    cr_assert_str_eq(gw_openai_model_names(buf, sizeof buf),
                     "tts-1, tts-1-hd, gpt-4o-mini-tts, gpt-4o-mini-tts-2025-12-15");
    char small[10];
    gw_openai_model_names(small, sizeof small);
    cr_assert_str_eq(small, "tts-1, tt");
}

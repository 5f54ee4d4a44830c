/* Unit tests for gateway/permissions: the role names, the role -> default
 * permission table of API.md §1 (super_admin and tenant_admin hold all five,
 * tenant_user none, tenant_viewer voice.read), permission names and lists
 * (a JWT scope, a grant list: unknown names ignored), the JSON rendering, and
 * which roles are operators. */
#include "gateway/permissions.h"

#include <criterion/criterion.h>
#include <string.h>

/* The five module permissions and their names, as API.md §1 spells them. */
static const struct {
    unsigned bit;
    const char *name;
} PERMISSIONS[] = {
    {PERM_SYNTHESIZE, "scaispeak:synthesize"},   {PERM_VOICE_READ, "scaispeak:voice.read"},
    {PERM_VOICE_WRITE, "scaispeak:voice.write"}, {PERM_VOICE_SHARE, "scaispeak:voice.share"},
    {PERM_ADMIN, "scaispeak:admin"},
};
#define NPERMS (sizeof PERMISSIONS / sizeof PERMISSIONS[0])

/* The role table: name, default permissions, operator or not. */
static const struct {
    ss_role role;
    const char *name;
    unsigned defaults;
    bool is_operator;
} ROLES[] = {
    {ROLE_SUPER_ADMIN, "super_admin", PERM_ALL, true},
    {ROLE_TENANT_ADMIN, "tenant_admin", PERM_ALL, true},
    {ROLE_TENANT_USER, "tenant_user", 0, false},
    {ROLE_TENANT_VIEWER, "tenant_viewer", PERM_VOICE_READ, false},
};

Test(permissions, every_permission_is_one_bit_of_all)
{
    unsigned seen = 0;
    for (size_t i = 0; i < NPERMS; i++) {
        unsigned b = PERMISSIONS[i].bit;
        cr_assert(b && !(b & (b - 1)), "%s is not one bit", PERMISSIONS[i].name);
        cr_assert_not(seen & b, "%s shares a bit", PERMISSIONS[i].name);
        seen |= b;
    }
    cr_assert_eq(seen, PERM_ALL, "PERM_ALL is exactly the five permissions");
}

Test(permissions, role_table)
{
    for (size_t i = 0; i < sizeof ROLES / sizeof ROLES[0]; i++) {
        cr_assert_eq(ss_role_parse(ROLES[i].name), ROLES[i].role, "%s", ROLES[i].name);
        cr_assert_str_eq(ss_role_name(ROLES[i].role), ROLES[i].name);
        cr_assert_eq(ss_role_default_permissions(ROLES[i].role), ROLES[i].defaults, "%s", ROLES[i].name);
        cr_assert_eq(ss_role_is_operator(ROLES[i].role), ROLES[i].is_operator, "%s", ROLES[i].name);
    }
    cr_assert_eq(ss_role_default_permissions(ROLE_NONE), 0);
    cr_assert_not(ss_role_is_operator(ROLE_NONE));
    cr_assert_str_eq(ss_role_name(ROLE_NONE), "none");
    cr_assert_str_eq(ss_role_name((ss_role)42), "none", "out of range is none, never out of bounds");
}

Test(permissions, unknown_roles_are_none)
{
    const char *bad[] = {"", "none", "admin", "Super_Admin", "tenant_admin ", "tenant", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ss_role_parse(bad[i]), ROLE_NONE, "'%s' parsed as a role", bad[i] ? bad[i] : "(null)");
}

Test(permissions, permission_names)
{
    for (size_t i = 0; i < NPERMS; i++)
        cr_assert_eq(ss_permission_parse(PERMISSIONS[i].name), PERMISSIONS[i].bit, "%s", PERMISSIONS[i].name);
    const char *bad[] = {"", "synthesize", "scaispeak:", "scaispeak:voice", "SCAISPEAK:ADMIN",
                         "scaispeak:admin ", "scaidrive:read", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ss_permission_parse(bad[i]), 0, "'%s' parsed", bad[i] ? bad[i] : "(null)");
}

/* A JWT scope or a grant list: space- or comma-separated, other modules'
 * names ignored (never an error), repeated separators fine. */
Test(permissions, lists_add_known_names_and_ignore_the_rest)
{
    cr_assert_eq(ss_permissions_parse_list("scaispeak:synthesize scaispeak:voice.read"),
                 PERM_SYNTHESIZE | PERM_VOICE_READ);
    cr_assert_eq(ss_permissions_parse_list("scaispeak:voice.write,scaispeak:voice.share"),
                 PERM_VOICE_WRITE | PERM_VOICE_SHARE);
    cr_assert_eq(ss_permissions_parse_list(" ,scaidrive:read, scaispeak:admin ,, openid  profile "), PERM_ADMIN);
    cr_assert_eq(ss_permissions_parse_list("scaispeak:admin scaispeak:admin"), PERM_ADMIN);
    cr_assert_eq(ss_permissions_parse_list(""), 0);
    cr_assert_eq(ss_permissions_parse_list(NULL), 0);
    cr_assert_eq(ss_permissions_parse_list("scaispeak:synthesizer scaispeak:voice.readonly"), 0,
                 "prefixes of longer names do not count");
    char longword[200];
    memset(longword, 'x', 150);
    strcpy(longword + 150, " scaispeak:synthesize");
    cr_assert_eq(ss_permissions_parse_list(longword), PERM_SYNTHESIZE, "an overlong word is skipped, not fatal");
}

Test(permissions, json_lists_the_names_in_table_order)
{
    json_t *all = ss_permissions_json(PERM_ALL);
    cr_assert_eq(json_array_size(all), NPERMS);
    for (size_t i = 0; i < NPERMS; i++)
        cr_assert_str_eq(json_string_value(json_array_get(all, i)), PERMISSIONS[i].name);
    json_decref(all);
    json_t *none = ss_permissions_json(0);
    cr_assert_eq(json_array_size(none), 0);
    json_decref(none);
    json_t *viewer = ss_permissions_json(ss_role_default_permissions(ROLE_TENANT_VIEWER));
    cr_assert_eq(json_array_size(viewer), 1);
    cr_assert_str_eq(json_string_value(json_array_get(viewer, 0)), "scaispeak:voice.read");
    json_decref(viewer);
}

/* Roles and permissions (see permissions.h). */
#include "gateway/permissions.h"

#include <string.h>

static const struct {
    unsigned bit;
    const char *name;
} PERMS[] = {
    {PERM_SYNTHESIZE, "scaispeak:synthesize"}, {PERM_VOICE_READ, "scaispeak:voice.read"},
    {PERM_VOICE_WRITE, "scaispeak:voice.write"}, {PERM_VOICE_SHARE, "scaispeak:voice.share"},
    {PERM_ADMIN, "scaispeak:admin"},
};

static const char *ROLES[] = {"none", "super_admin", "tenant_admin", "tenant_user", "tenant_viewer"};

ss_role ss_role_parse(const char *s)
{
    for (int i = 1; s && i < 5; i++)
        if (strcmp(s, ROLES[i]) == 0)
            return (ss_role)i;
    return ROLE_NONE;
}

const char *ss_role_name(ss_role r)
{
    return (r >= 0 && r < 5) ? ROLES[r] : "none";
}

unsigned ss_role_default_permissions(ss_role r)
{
    switch (r) {
    case ROLE_SUPER_ADMIN:
    case ROLE_TENANT_ADMIN:
        return PERM_ALL;
    case ROLE_TENANT_VIEWER:
        return PERM_VOICE_READ;
    case ROLE_TENANT_USER:
    case ROLE_NONE:
        break;
    }
    return 0;
}

unsigned ss_permission_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof PERMS / sizeof PERMS[0]; i++)
        if (strcmp(s, PERMS[i].name) == 0)
            return PERMS[i].bit;
    return 0;
}

unsigned ss_permissions_parse_list(const char *s)
{
    unsigned mask = 0;
    char word[64];
    while (s && *s) {
        size_t n = strcspn(s, " ,");
        if (n > 0 && n < sizeof word) {
            memcpy(word, s, n);
            word[n] = '\0';
            mask |= ss_permission_parse(word);
        }
        s += n;
        s += strspn(s, " ,");
    }
    return mask;
}

json_t *ss_permissions_json(unsigned mask)
{
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof PERMS / sizeof PERMS[0]; i++)
        if (mask & PERMS[i].bit)
            json_array_append_new(a, json_string(PERMS[i].name));
    return a;
}

bool ss_role_is_operator(ss_role r)
{
    return r == ROLE_SUPER_ADMIN || r == ROLE_TENANT_ADMIN;
}

/* Roles and permissions (API.md §1).
 *
 * Five module permissions plus four platform roles. Role defaults:
 * super_admin and tenant_admin hold all five; tenant_user none unless granted;
 * tenant_viewer holds voice.read. A user's grants and a JWT's scope add
 * permissions (never remove). Operators (/v1/infra) are super_admin or
 * tenant_admin; global voices need super_admin. */
#ifndef SS_GATEWAY_PERMISSIONS_H
#define SS_GATEWAY_PERMISSIONS_H

#include <jansson.h>
#include <stdbool.h>

enum {
    PERM_SYNTHESIZE = 1 << 0,
    PERM_VOICE_READ = 1 << 1,
    PERM_VOICE_WRITE = 1 << 2,
    PERM_VOICE_SHARE = 1 << 3,
    PERM_ADMIN = 1 << 4,
    PERM_ALL = (1 << 5) - 1,
};

typedef enum { ROLE_NONE = 0, ROLE_SUPER_ADMIN, ROLE_TENANT_ADMIN, ROLE_TENANT_USER, ROLE_TENANT_VIEWER } ss_role;

/* "tenant_admin" -> ROLE_TENANT_ADMIN; ROLE_NONE for anything else. */
ss_role ss_role_parse(const char *s);
const char *ss_role_name(ss_role r);
unsigned ss_role_default_permissions(ss_role r);
/* "scaispeak:voice.read" -> PERM_VOICE_READ; 0 when unknown. */
unsigned ss_permission_parse(const char *s);
/* Space- or comma-separated permission names (a JWT scope, a grant list);
 * unknown names are ignored (they may belong to other modules). */
unsigned ss_permissions_parse_list(const char *s);
/* JSON array of the names in mask. */
json_t *ss_permissions_json(unsigned mask);
bool ss_role_is_operator(ss_role r);

#endif

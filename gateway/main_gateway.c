/* scaispeak-gateway entry point (skeleton). */
#include "common/config.h"
#include "common/log.h"

int main(int argc, char **argv)
{
    int rc = 0;
    ss_config *cfg = ss_config_from_args(argc, argv, "scaispeak-gateway", SS_SCOPE_GATEWAY, &rc);
    if (!cfg)
        return rc;
    ss_info(NULL, "scaispeak-gateway skeleton");
    ss_config_free(cfg);
    return 0;
}

/* scaispeak-node entry point (skeleton). */
#include "common/config.h"
#include "common/log.h"

int main(int argc, char **argv)
{
    int rc = 0;
    ss_config *cfg = ss_config_from_args(argc, argv, "scaispeak-node", SS_SCOPE_NODE, &rc);
    if (!cfg)
        return rc;
    ss_info(NULL, "scaispeak-node skeleton");
    ss_config_free(cfg);
    return 0;
}

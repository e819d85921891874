/* refresh.c — `hangar refresh`: Read every resource back and update the state (the driver is hangar_run_command in common.c). */
#include "builtin.h"

int cmd_refresh(int argc, char **argv, const hangar_globals *g)
{
    return hangar_run_command(argc, argv, g, ENG_REFRESH, "refresh");
}

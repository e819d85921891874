/* up.c — `hangar up`: Create or update the resources in a stack (the driver is hangar_run_command in common.c). */
#include "builtin.h"

int cmd_up(int argc, char **argv, const hangar_globals *g)
{
    return hangar_run_command(argc, argv, g, ENG_UP, "up");
}

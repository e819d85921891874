/* preview.c — `hangar preview`: Show what up would change, touching nothing (the driver is hangar_run_command in common.c). */
#include "builtin.h"

int cmd_preview(int argc, char **argv, const hangar_globals *g)
{
    return hangar_run_command(argc, argv, g, ENG_PREVIEW, "preview");
}

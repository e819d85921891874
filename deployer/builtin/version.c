/* version.c — `hangar version`. */
#include "builtin.h"

#include <stdio.h>

int cmd_version(int argc, char **argv, const hangar_globals *g)
{
    (void)g;
    if (argc > 1 && hangar_is_help(argv[1])) {
        puts("usage: hangar version\n\nPrint hangar's version.");
        return 0;
    }
    printf("v%s\n", HANGAR_VERSION);
    return 0;
}

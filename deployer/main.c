/*
 * main.c — hangar, the micro-stack deployer: global options, then the
 * command table (see hangar.h for how to add a command).
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "version") == 0) {
        printf("hangar %s\n", HANGAR_VERSION);
        return 0;
    }
    fprintf(stderr, "hangar: the deployer's commands are not built yet\n");
    return 1;
}

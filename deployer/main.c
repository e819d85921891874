/*
 * main.c — hangar, the micro-stack deployer: global options, then the
 * command table (see hangar.h for how to add a command).
 *
 * Global options come before the command (`hangar --endpoint URL up`); the
 * commands that talk to AWS accept them after it too.
 */
#include "hangar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Sorted by name (bsearch-able; keep it so). */
static const hangar_cmd commands[] = {
    { "config",  cmd_config,  "Manage the stack's configuration (Pulumi.<stack>.yaml)" },
    { "destroy", cmd_destroy, "Delete every resource in a stack" },
    { "preview", cmd_preview, "Show what `up` would change, touching nothing" },
    { "refresh", cmd_refresh, "Read every resource back and update the state" },
    { "stack",   cmd_stack,   "Manage stacks: ls, output, export, import, rm, unlock, init, select" },
    { "up",      cmd_up,      "Create or update the resources in a stack" },
    { "version", cmd_version, "Print hangar's version" },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fputs("usage: hangar [--endpoint URL] [--region R] [-C DIR] <command> [options]\n\n"
          "Deploy Pulumi YAML micro-stacks to an AWS endpoint (hangar-emulator by default).\n\n"
          "Commands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fputs("\nGlobal options:\n"
          "  --endpoint URL   AWS endpoint (else HANGAR_ENDPOINT, else http://127.0.0.1:4566)\n"
          "  --region R       AWS region (else the stack's aws:region, AWS_REGION, us-east-1)\n"
          "  -C, --cwd DIR    the project folder (default .)\n"
          "  -h, --help       this help; `hangar <command> --help` for a command's\n"
          "  --version        print the version\n\n"
          "State lives in $HANGAR_HOME/state.db (default ~/.hangar).\n", f);
}

static int cmp_cmd(const void *key, const void *elem)
{
    return strcmp(key, ((const hangar_cmd *)elem)->name);
}

/* Levenshtein distance, capped small names only (for "did you mean"). */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31) return 99;
    int d[32][32];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

int main(int argc, char **argv)
{
    static char home[4096];
    hangar_globals g = {0};
    g.endpoint = getenv("HANGAR_ENDPOINT");
    if (!g.endpoint || !*g.endpoint) g.endpoint = "http://127.0.0.1:4566";
    g.cwd = ".";
    const char *h = getenv("HANGAR_HOME");
    if (h && *h) snprintf(home, sizeof home, "%s", h);
    else snprintf(home, sizeof home, "%s/.hangar", getenv("HOME") ? getenv("HOME") : ".");
    g.home = home;
    g.interactive = isatty(0) && isatty(1);

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char **slot = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "--version")) { printf("v%s\n", HANGAR_VERSION); return 0; }
        if (!strcmp(a, "--endpoint")) slot = &g.endpoint;
        else if (!strcmp(a, "--region")) slot = &g.region;
        else if (!strcmp(a, "-C") || !strcmp(a, "--cwd")) slot = &g.cwd;
        else if (!strncmp(a, "--endpoint=", 11)) { g.endpoint = a + 11; continue; }
        else if (!strncmp(a, "--region=", 9)) { g.region = a + 9; continue; }
        else if (!strncmp(a, "--cwd=", 6)) { g.cwd = a + 6; continue; }
        else {
            fprintf(stderr, "error: unknown global option '%s' (see `hangar --help`)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "error: %s needs a value\n", a);
            return 2;
        }
        *slot = argv[++i];
    }
    if (i >= argc) { usage(stderr); return 2; }
    if (!strcmp(argv[i], "help")) {
        if (i + 1 < argc) {
            const hangar_cmd *c = bsearch(argv[i + 1], commands, NCOMMANDS, sizeof *commands, cmp_cmd);
            if (c) { char *hv[] = { argv[i + 1], "--help", NULL }; return c->fn(2, hv, &g); }
        }
        usage(stdout);
        return 0;
    }
    const hangar_cmd *c = bsearch(argv[i], commands, NCOMMANDS, sizeof *commands, cmp_cmd);
    if (!c) {
        const char *best = NULL;
        int bestd = 3;
        for (size_t k = 0; k < NCOMMANDS; k++) {
            int d = distance(argv[i], commands[k].name);
            if (d < bestd || (!strncmp(argv[i], commands[k].name, strlen(argv[i])) && strlen(argv[i]) >= 2)) {
                bestd = d < bestd ? d : bestd;
                best = commands[k].name;
            }
        }
        fprintf(stderr, "error: '%s' is not a hangar command (see `hangar --help`)\n", argv[i]);
        if (best) fprintf(stderr, "\nThe most similar command is\n\t%s\n", best);
        return 2;
    }
    return c->fn(argc - i, argv + i, &g);
}

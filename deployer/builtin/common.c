/* common.c — helpers every command shares (see hangar.h and builtin.h). */
#include "builtin.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hg_parse.h"

int hangar_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

int hangar_is_help(const char *s) { return !strcmp(s, "-h") || !strcmp(s, "--help") || !strcmp(s, "help"); }

int hangar_open(const hangar_globals *g, const char *region, state_db **db, aws_client **aws, hg_err *err)
{
    *db = NULL;
    *aws = NULL;
    if (state_open(g->home, db, err) < 0) return -1;
    aws_config cfg = {0};
    cfg.endpoint = g->endpoint;
    cfg.region = g->region ? g->region : region ? region : getenv("AWS_REGION") ? getenv("AWS_REGION")
                 : getenv("AWS_DEFAULT_REGION") ? getenv("AWS_DEFAULT_REGION") : "us-east-1";
    cfg.max_retries = 4;
    aws_config_credentials(&cfg);
    *aws = aws_client_new(&cfg, err);
    if (!*aws) {
        state_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}

/* ---- the project folder ------------------------------------------------------------- */

char *hangar_project_name(const char *dir, hg_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/Pulumi.yaml", dir);
    prog_node *root = NULL;
    if (prog_yaml_load(path, &root, err) < 0) return NULL;
    const prog_node *n = prog_map_get(root, "name");
    char *name = n && n->kind == PN_SCALAR ? strdup(n->scalar) : NULL;
    if (!name) hg_err_validation(err, "%s: the project has no `name`", path);
    prog_node_free(root);
    return name;
}

char *hangar_stack_region(const char *dir, const char *stack)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/Pulumi.%s.yaml", dir, stack);
    struct stat st;
    if (stat(path, &st) < 0) return NULL;
    prog_node *root = NULL;
    hg_err e = {0};
    if (prog_yaml_load(path, &root, &e) < 0) return NULL;
    const prog_node *cfg = prog_map_get(root, "config");
    const prog_node *r = cfg && cfg->kind == PN_MAP ? prog_map_get(cfg, "aws:region") : NULL;
    char *region = r && r->kind == PN_SCALAR ? strdup(r->scalar) : NULL;
    prog_node_free(root);
    return region;
}

int hangar_stack_save(const char *dir, const char *stack)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/.hangar", dir);
    if (mkdir(path, 0755) < 0 && errno != EEXIST) return hangar_error("cannot create %s: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/.hangar/stack", dir);
    FILE *f = fopen(path, "w");
    if (!f) return hangar_error("cannot write %s: %s", path, strerror(errno));
    fprintf(f, "%s\n", stack);
    fclose(f);
    return 0;
}

static char *read_selected(const char *dir)
{
    char path[PATH_MAX], line[256];
    snprintf(path, sizeof path, "%s/.hangar/stack", dir);
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *s = fgets(line, sizeof line, f) ? strdup(line) : NULL;
    fclose(f);
    if (s) s[strcspn(s, "\r\n")] = 0;
    if (s && !*s) { free(s); s = NULL; }
    return s;
}

int hangar_stack_pick(const hangar_globals *g, const char *flag, char **out)
{
    *out = NULL;
    const char *dir = g->cwd ? g->cwd : ".";
    const char *env = getenv("HANGAR_STACK");
    if (!env || !*env) env = getenv("PULUMI_STACK");
    if (flag && *flag) { *out = strdup(flag); return 0; }
    if (env && *env) { *out = strdup(env); return 0; }
    if ((*out = read_selected(dir))) return 0;
    DIR *d = opendir(dir);
    if (!d) return hangar_error("cannot read the project folder %s: %s", dir, strerror(errno));
    char found[16][256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 12 && !strncmp(e->d_name, "Pulumi.", 7) && !strcmp(e->d_name + len - 5, ".yaml") && n < 16) {
            snprintf(found[n], sizeof found[n], "%.*s", (int)(len - 12), e->d_name + 7);
            n++;
        }
    }
    closedir(d);
    if (n == 1) { *out = strdup(found[0]); return 0; }
    if (n == 0)
        return hangar_error("no stack selected: pass --stack <name> (it is created on the first `up`), or run "
                            "`hangar stack select <name>`");
    fputs("error: no stack selected; pass --stack <name> or run `hangar stack select <name>`; this project has:",
          stderr);
    for (int i = 0; i < n; i++) fprintf(stderr, " %s", found[i]);
    fputc('\n', stderr);
    return -1;
}

/* ---- up / preview / destroy / refresh ----------------------------------------------------- */

static void run_usage(FILE *f, const char *name, eng_mode mode)
{
    fprintf(f, "usage: hangar %s [--stack S] [-C DIR]%s [--json]\n\n", name,
            mode == ENG_UP ? " [--yes] [--skip-preview] [--refresh] [--all] [--target URN]... [--parallel N]"
                             " [--show-secrets]"
            : mode == ENG_PREVIEW ? " [--refresh] [--all] [--target URN]... [--show-secrets]"
            : mode == ENG_DESTROY ? " [--yes] [--skip-preview] [--all] [--target URN]..." : " [--yes]");
    fputs("  -s, --stack S        the stack (default: HANGAR_STACK, the selected stack, or the only one)\n"
          "  -C, --cwd DIR        the project folder (default .)\n"
          "  -y, --yes            proceed without asking\n"
          "  -f, --skip-preview   do not show a preview first\n"
          "  -r, --refresh        read every resource back first; recreate what vanished\n"
          "      --all            every project below the folder, in stack-reference order\n"
          "  -t, --target URN     only this resource (repeatable)\n"
          "  -p, --parallel N     steps at once (default 8)\n"
          "  -j, --json           machine-readable events\n", f);
    if (mode == ENG_UP || mode == ENG_PREVIEW)
        fputs("      --show-secrets   print secret outputs in plaintext (default: [secret])\n", f);
    fputs("      --endpoint URL   the AWS endpoint (default HANGAR_ENDPOINT or http://127.0.0.1:4566)\n"
          "      --region R       the AWS region\n", f);
}

/* "--name value" or "--name=value"; advances *i. NULL when argv[*i] is not this option. */
static const char *opt_value(int argc, char **argv, int *i, const char *shortn, const char *longn, int *bad)
{
    const char *a = argv[*i];
    size_t ll = strlen(longn);
    if (!strncmp(a, longn, ll) && a[ll] == '=') return a + ll + 1;
    if (strcmp(a, longn) && (!shortn || strcmp(a, shortn))) return NULL;
    if (*i + 1 >= argc) { *bad = 1; hangar_error("%s needs a value", longn); return NULL; }
    return argv[++*i];
}

static bool confirm(const char *question)
{
    printf("%s yes/no: ", question);
    fflush(stdout);
    char line[64];
    if (!fgets(line, sizeof line, stdin)) return false;
    line[strcspn(line, "\r\n")] = 0;
    return !strcmp(line, "yes") || !strcmp(line, "y");
}

int hangar_run_command(int argc, char **argv, const hangar_globals *g, eng_mode mode, const char *name)
{
    hangar_globals gl = *g;
    eng_opts o = {.mode = mode, .parallel = 8, .out = stdout};
    const char *stack_flag = NULL;
    bool yes = false, skip_preview = false, all = false;
    const char **targets = calloc((size_t)argc + 1, sizeof *targets);
    int ntargets = 0, bad = 0, ret = 1;
    char *stack = NULL, *region = NULL;
    state_db *db = NULL;
    aws_client *aws = NULL;
    if (!targets) return hangar_error("out of memory");
    for (int i = 1; i < argc && !bad; i++) {
        const char *a = argv[i], *v;
        if (hangar_is_help(a)) { run_usage(stdout, name, mode); ret = 0; goto out; }
        else if (!strcmp(a, "-y") || !strcmp(a, "--yes")) yes = true;
        else if (!strcmp(a, "-f") || !strcmp(a, "--skip-preview")) skip_preview = true;
        else if (!strcmp(a, "-r") || !strcmp(a, "--refresh")) o.refresh = true;
        else if (!strcmp(a, "-j") || !strcmp(a, "--json")) o.json = true;
        else if (!strcmp(a, "--show-secrets") && (mode == ENG_UP || mode == ENG_PREVIEW)) o.show_secrets = true;
        else if (!strcmp(a, "--all")) all = true;
        else if ((v = opt_value(argc, argv, &i, "-s", "--stack", &bad))) stack_flag = v;
        else if ((v = opt_value(argc, argv, &i, "-C", "--cwd", &bad))) gl.cwd = v;
        else if ((v = opt_value(argc, argv, &i, NULL, "--endpoint", &bad))) gl.endpoint = v;
        else if ((v = opt_value(argc, argv, &i, NULL, "--region", &bad))) gl.region = v;
        else if ((v = opt_value(argc, argv, &i, "-t", "--target", &bad))) targets[ntargets++] = v;
        else if ((v = opt_value(argc, argv, &i, "-p", "--parallel", &bad))) {
            uint64_t n;
            if (hg_parse_u64z(v, 64, &n) < 0 || n == 0) { hangar_error("--parallel wants 1..64, not '%s'", v); bad = 1; }
            else o.parallel = (int)n;
        } else if (!bad) {
            hangar_error("unknown option '%s' for `hangar %s` (see `hangar %s --help`)", a, name, name);
            bad = 1;
        }
    }
    if (bad) { ret = 2; goto out; }
    if (ntargets) o.targets = targets;
    o.dir = gl.cwd ? gl.cwd : ".";

    if ((mode == ENG_UP || mode == ENG_DESTROY) && !yes && !skip_preview && !gl.interactive) {
        ret = hangar_error("--yes or --skip-preview must be passed in to proceed when running in non-interactive mode");
        goto out;
    }
    hg_err err = {0};
    if (all) {
        o.stack = stack_flag;   /* one stack name for every project; eng_run_all falls back to HANGAR_STACK */
        if (hangar_open(&gl, NULL, &db, &aws, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
        if ((mode == ENG_UP || mode == ENG_DESTROY) && !skip_preview && !yes) {
            /* a terminal: every stack's preview, then one question, as for a single stack */
            eng_opts p = o;
            p.mode = ENG_PREVIEW;
            if (mode == ENG_UP && eng_run_all(db, aws, o.dir, &p, &err) < 0) {
                ret = hangar_error("%s", err.message);
                goto out;
            }
            if (!confirm(mode == ENG_UP ? "\nDo you want to perform this update?"
                                        : "Do you want to destroy every stack below this folder?")) {
                ret = hangar_error("confirmation declined, not proceeding with the %s",
                                   mode == ENG_UP ? "update" : "destroy");
                goto out;
            }
            putchar('\n');
        }
        ret = eng_run_all(db, aws, o.dir, &o, &err) < 0 ? hangar_error("%s", err.message) : 0;
        goto out;
    }
    if (hangar_stack_pick(&gl, stack_flag, &stack) < 0) goto out;
    o.stack = stack;
    region = hangar_stack_region(o.dir, stack);
    if (hangar_open(&gl, region, &db, &aws, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }

    eng_summary sum;
    if ((mode == ENG_UP || mode == ENG_DESTROY) && !skip_preview && !yes) {
        /* a terminal: show what would happen, then ask as Pulumi does */
        if (mode == ENG_UP) {
            eng_opts p = o;
            p.mode = ENG_PREVIEW;
            if (eng_run(db, aws, &p, &sum, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
        }
        if (!confirm(mode == ENG_UP ? "\nDo you want to perform this update?" : "Do you want to perform this destroy?")) {
            ret = hangar_error("confirmation declined, not proceeding with the %s", mode == ENG_UP ? "update" : "destroy");
            goto out;
        }
        putchar('\n');
    }
    if (eng_run(db, aws, &o, &sum, &err) < 0) {
        ret = hangar_error("%s", err.message);
        goto out;
    }
    if (mode == ENG_DESTROY && !o.json)
        printf("\nThe resources in the stack have been deleted, but the history and configuration associated with "
               "the stack are still maintained.\nIf you want to remove the stack completely, run "
               "`hangar stack rm %s`.\n", stack);
    ret = 0;
out:
    free(targets);
    free(stack);
    free(region);
    aws_client_free(aws);
    state_close(db);
    return ret;
}

/*
 * stack.c — `hangar stack <sub>`: ls, output, export, import, rm, unlock,
 * init, select. Stacks are named within the project in the folder (org
 * "organization", as Pulumi's default); `select` records the choice in
 * <project>/.hangar/stack, which the other commands read (builtin.h).
 *
 * Secrets: state keeps them encrypted (state.c); they are decrypted only
 * for --show-secrets, so `ls`, `output` and `export` need no passphrase
 * otherwise and print "[secret]" or the ciphertext.
 */
#include "builtin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "secrets.h"

#define ORG "organization"

typedef struct stack_args {
    const char *sub;              /* the subcommand's name, as typed */
    const char *stack, *file, *name;
    bool json, show_secrets, force, yes, create;
    hangar_globals g;
} stack_args;

static int stack_usage(FILE *f)
{
    fputs("usage: hangar stack <command> [--stack S] [-C DIR]\n\n"
          "  ls                              the project's stacks (* = selected)\n"
          "  output [NAME] [--json] [--show-secrets]\n"
          "                                  the stack's outputs, or one of them\n"
          "  export [--file F] [--show-secrets]\n"
          "                                  a Pulumi v3 checkpoint of the stack (secrets encrypted unless shown)\n"
          "  import [--file F]               replace the stack's state with a checkpoint (stdin by default)\n"
          "  rm [NAME] [--force] [--yes]     remove a stack (--force even if it still has resources)\n"
          "  unlock [--force]                clear a lock left by a dead process (--force: any lock)\n"
          "  init NAME                       create a stack and select it\n"
          "  select NAME [--create]          select the stack other commands use (.hangar/stack)\n", f);
    return f == stdout ? 0 : 2;
}

static int open_db(const stack_args *a, state_db **db)
{
    hg_err err = {0};
    if (state_open(a->g.home, db, &err) < 0) return hangar_error("%s", err.message);
    state_set_reveal(*db, a->show_secrets);
    return 0;
}

/* What a subcommand on one stack works with: all three are owned here and
 * released by stack_target_release. */
typedef struct stack_target {
    char *project, *stack;
    state_db *db;
} stack_target;

/* The project, the stack (--stack, else NAME when name_is_stack, else the
 * selected one) and the state; 0, or -1 after printing why not. */
static int stack_target_open(const stack_args *a, bool name_is_stack, stack_target *t)
{
    hg_err err = {0};
    *t = (stack_target){0};
    t->project = hangar_project_name(a->g.cwd, &err);
    if (!t->project) {
        hangar_error("%s", err.message);
        return -1;
    }
    if (hangar_stack_pick(&a->g, a->stack ? a->stack : name_is_stack ? a->name : NULL, &t->stack) != 0 ||
        open_db(a, &t->db)) {
        free(t->project);
        free(t->stack);
        *t = (stack_target){0};
        return -1;
    }
    return 0;
}

static void stack_target_release(stack_target *t)
{
    state_close(t->db);
    free(t->project);
    free(t->stack);
}

static void print_value(const cJSON *v, bool show_secrets, bool raw)
{
    if (prog_is_sig(v, PROG_SIG_SECRET)) {
        if (!show_secrets) { fputs(raw ? "[secret]" : "\"[secret]\"", stdout); return; }
        v = cJSON_GetObjectItemCaseSensitive(v, "value");
    }
    if (raw && cJSON_IsString(v)) { fputs(v->valuestring, stdout); return; }
    char *s = cJSON_PrintUnformatted(v);
    fputs(s ? s : "null", stdout);
    free(s);
}

/* A copy with secrets replaced by "[secret]" unless shown. */
static cJSON *reveal(const cJSON *v, bool show)
{
    if (prog_is_sig(v, PROG_SIG_SECRET))
        return show ? reveal(cJSON_GetObjectItemCaseSensitive(v, "value"), show) : cJSON_CreateString("[secret]");
    cJSON *c = cJSON_Duplicate(v, 0);
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (cJSON_IsObject(c)) cJSON_AddItemToObject(c, e->string, reveal(e, show));
            else cJSON_AddItemToArray(c, reveal(e, show));
        }
    }
    return c;
}

static int sub_ls(const stack_args *a, const stack_target *unused)
{
    (void)unused;
    state_db *db;
    if (open_db(a, &db)) return 1;
    hg_err err = {0};
    char *project = hangar_project_name(a->g.cwd, &err);
    char *selected = NULL;
    if (project) hangar_stack_pick(&a->g, a->stack, &selected);
    char **names; int n;
    if (state_stack_list(db, &names, &n, &err) < 0) { free(project); state_close(db); return hangar_error("%s", err.message); }
    cJSON *arr = a->json ? cJSON_CreateArray() : NULL;
    if (!a->json) printf("%-40s %-22s %s\n", "NAME", "LAST UPDATE", "RESOURCE COUNT");
    for (int i = 0; i < n; i++) {
        char org[256], proj[256], stk[256];
        if (sscanf(names[i], "%255[^/]/%255[^/]/%255s", org, proj, stk) != 3) continue;
        if (project && strcmp(proj, project)) continue;
        state_stack *s = NULL;
        if (state_stack_get(db, org, proj, stk, &s, &err) != 0) continue;
        const char *name = project ? stk : names[i];
        bool current = selected && project && !strcmp(selected, stk);
        char when[32] = "n/a";
        if (s->updated) {
            time_t t = (time_t)s->updated; struct tm tm; gmtime_r(&t, &tm);
            strftime(when, sizeof when, a->json ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
        }
        if (a->json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", name);
            cJSON_AddBoolToObject(o, "current", current);
            cJSON_AddNumberToObject(o, "resourceCount", s->nres);
            if (s->updated) cJSON_AddStringToObject(o, "lastUpdate", when);
            cJSON_AddItemToArray(arr, o);
        } else {
            char label[300];
            snprintf(label, sizeof label, "%s%s", name, current ? "*" : "");
            printf("%-40s %-22s %d\n", label, when, s->nres);
        }
        state_stack_free(s);
    }
    if (a->json) {
        char *txt = cJSON_Print(arr);
        puts(txt);
        free(txt);
        cJSON_Delete(arr);
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    free(project);
    free(selected);
    state_close(db);
    return 0;
}

static int sub_output(const stack_args *a, const stack_target *t)
{
    hg_err err = {0};
    state_stack *s = NULL;
    int ret = 1;
    int rc = state_stack_get(t->db, ORG, t->project, t->stack, &s, &err);
    if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
    if (rc == 1) { ret = hangar_error("no stack named '%s/%s/%s'", ORG, t->project, t->stack); goto out; }
    if (a->name) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->outputs, a->name);
        if (!v) { ret = hangar_error("current stack does not have output property '%s'", a->name); goto out; }
        if (a->json) {
            cJSON *c = reveal(v, a->show_secrets);
            char *txt = cJSON_Print(c);
            puts(txt);
            free(txt);
            cJSON_Delete(c);
        } else {
            print_value(v, a->show_secrets, true);
            putchar('\n');
        }
    } else if (a->json) {
        cJSON *c = reveal(s->outputs, a->show_secrets);
        char *txt = cJSON_Print(c);
        puts(txt);
        free(txt);
        cJSON_Delete(c);
    } else {
        printf("Current stack outputs (%d):\n", cJSON_GetArraySize(s->outputs));
        if (s->outputs->child) {
            printf("    %-24s %s\n", "OUTPUT", "VALUE");
            const cJSON *o;
            cJSON_ArrayForEach(o, s->outputs) {
                printf("    %-24s ", o->string);
                print_value(o, a->show_secrets, true);
                putchar('\n');
            }
        }
    }
    ret = 0;
out:
    state_stack_free(s);
    return ret;
}

static int sub_export(const stack_args *a, const stack_target *t)
{
    hg_err err = {0};
    cJSON *doc = NULL;
    char *text = NULL;
    int ret = 1;
    if (state_export(t->db, ORG, t->project, t->stack, &doc, &err) < 0) {
        ret = hangar_error("%s", err.message);
        goto out;
    }
    if (a->show_secrets && state_unseal(t->db, ORG, t->project, t->stack, doc, &err) < 0) {
        ret = hangar_error("%s", err.message);
        goto out;
    }
    text = cJSON_Print(doc);
    FILE *f = a->file ? fopen(a->file, "w") : stdout;
    if (!f) { ret = hangar_error("cannot write %s", a->file); goto out; }
    fprintf(f, "%s\n", text);
    if (a->file) fclose(f);
    ret = 0;
out:
    cJSON_Delete(doc);
    free(text);
    return ret;
}

static int sub_import(const stack_args *a, const stack_target *t)
{
    hg_err err = {0};
    cJSON *doc = NULL;
    char *text = NULL;
    int ret = 1;
    FILE *f = a->file ? fopen(a->file, "r") : stdin;
    if (!f) { ret = hangar_error("cannot read %s", a->file); goto out; }
    size_t cap = 1 << 16, len = 0;
    text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            if (cap >= (size_t)256 << 20) break;
            char *bigger = realloc(text, cap *= 2);
            if (!bigger) break;
            text = bigger;
        }
    }
    if (a->file) fclose(f);
    if (!text) { ret = hangar_error("out of memory"); goto out; }
    text[len] = 0;
    doc = cJSON_Parse(text);
    if (!doc) { ret = hangar_error("the checkpoint is not valid JSON"); goto out; }
    if (state_lock(t->db, ORG, t->project, t->stack, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
    /* plaintext secrets in the checkpoint are encrypted under this stack file's salt */
    char stack_file[4200];
    snprintf(stack_file, sizeof stack_file, "%s/Pulumi.%s.yaml", a->g.cwd ? a->g.cwd : ".", t->stack);
    secrets_register_stack(t->project, t->stack, stack_file);
    int rc = state_import(t->db, ORG, t->project, t->stack, doc, &err);
    state_unlock(t->db, ORG, t->project, t->stack);
    if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
    printf("Import complete.\n");
    ret = 0;
out:
    cJSON_Delete(doc);
    free(text);
    return ret;
}

static int sub_rm(const stack_args *a, const stack_target *t)
{
    hg_err err = {0};
    state_stack *s = NULL;
    int ret = 1;
    int rc = state_stack_get(t->db, ORG, t->project, t->stack, &s, &err);
    if (rc != 0) { ret = hangar_error("%s", rc < 0 ? err.message : "no such stack"); goto out; }
    if (s->nres && !a->force) {
        ret = hangar_error("'%s' still has resources; removal rejected. Run `hangar destroy` first, or pass --force "
                           "to forget them (they keep existing in AWS)", t->stack);
        goto out;
    }
    if (state_lock(t->db, ORG, t->project, t->stack, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
    rc = state_stack_remove(t->db, ORG, t->project, t->stack, &err);
    state_force_unlock(t->db, ORG, t->project, t->stack, true, &(hg_err){0});
    if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
    printf("Stack '%s' has been removed!\n", t->stack);
    ret = 0;
out:
    state_stack_free(s);
    return ret;
}

static int sub_unlock(const stack_args *a, const stack_target *t)
{
    hg_err err = {0};
    if (state_force_unlock(t->db, ORG, t->project, t->stack, a->force, &err) < 0)
        return hangar_error("%s", err.message);
    printf("Stack '%s' unlocked.\n", t->stack);
    return 0;
}

/* init and select: the stack is NAME (or --stack), whether it exists yet or not. */
static int sub_init_select(const stack_args *a, const stack_target *unused)
{
    (void)unused;
    bool init = !strcmp(a->sub, "init");
    if (!a->name && !a->stack) return hangar_error("`hangar stack %s` needs a stack name", init ? "init" : "select");
    const char *stack = a->name ? a->name : a->stack;
    hg_err err = {0};
    char *project = hangar_project_name(a->g.cwd, &err);
    if (!project) return hangar_error("%s", err.message);
    state_db *db;
    int ret = 1;
    if (open_db(a, &db)) { free(project); return 1; }
    state_stack *s = NULL;
    int rc = state_stack_get(db, ORG, project, stack, &s, &err);
    state_stack_free(s);
    if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
    if (init && rc == 0) { ret = hangar_error("stack '%s' already exists", stack); goto out; }
    if (!init && rc == 1 && !a->create) {
        char path[4096];
        snprintf(path, sizeof path, "%s/Pulumi.%s.yaml", a->g.cwd, stack);
        FILE *f = fopen(path, "r");
        if (!f) {
            ret = hangar_error("no stack named '%s' found; pass --create to create it (or run `hangar stack init %s`)",
                               stack, stack);
            goto out;
        }
        fclose(f);
    }
    if ((init || a->create) && rc == 1 && state_stack_create(db, ORG, project, stack, &err) < 0) {
        ret = hangar_error("%s", err.message);
        goto out;
    }
    if (hangar_stack_save(a->g.cwd, stack) != 0) goto out;
    if (init) printf("Created stack '%s'\n", stack);
    ret = 0;
out:
    free(project);
    state_close(db);
    return ret;
}

/* The subcommands. A row on a stack gets its project, stack and state
 * opened and closed here; the others (ls, init, select) find their own,
 * since a missing project or stack is not an error for them. */
static const struct stack_cmd {
    const char *name;
    int (*run)(const stack_args *a, const stack_target *t);   /* t NULL unless on_stack */
    bool on_stack;
    bool name_is_stack;        /* rm NAME: the NAME argument picks the stack */
} stack_cmds[] = {
    { "export", sub_export, true, false },
    { "import", sub_import, true, false },
    { "init", sub_init_select, false, false },
    { "ls", sub_ls, false, false },
    { "output", sub_output, true, false },
    { "rm", sub_rm, true, true },
    { "select", sub_init_select, false, false },
    { "unlock", sub_unlock, true, false },
};

/* Parse the options every subcommand shares into a: a flag sets its bool, a
 * value option ("-s S", "--stack S", "--stack=S") its string (a value
 * option last on the line, with no value, is reported as unknown); the first
 * plain argument is NAME. 0; 1 for --help (usage printed); 2 after printing
 * what was wrong. */
static int parse_options(int argc, char **argv, stack_args *a)
{
    const struct { const char *shortn, *longn; bool *flag; const char **value; } opts[] = {
        { "-j", "--json", &a->json, NULL },
        { NULL, "--show-secrets", &a->show_secrets, NULL },
        { "-f", "--force", &a->force, NULL },
        { "-y", "--yes", &a->yes, NULL },
        { "-c", "--create", &a->create, NULL },
        { "-s", "--stack", NULL, &a->stack },
        { NULL, "--file", NULL, &a->file },
        { "-C", "--cwd", NULL, &a->g.cwd },
    };
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (hangar_is_help(s)) return stack_usage(stdout), 1;
        size_t k, n = sizeof opts / sizeof opts[0];
        for (k = 0; k < n; k++) {
            bool named = !strcmp(s, opts[k].longn) || (opts[k].shortn && !strcmp(s, opts[k].shortn));
            size_t ll = strlen(opts[k].longn);
            if (opts[k].flag && named) { *opts[k].flag = true; break; }
            if (opts[k].value && named && i + 1 < argc) { *opts[k].value = argv[++i]; break; }
            if (opts[k].value && !strncmp(s, opts[k].longn, ll) && s[ll] == '=') {
                *opts[k].value = s + ll + 1;
                break;
            }
        }
        if (k < n) continue;
        if (s[0] == '-') { hangar_error("unknown option '%s' for `hangar stack %s`", s, a->sub); return 2; }
        if (a->name) { hangar_error("unexpected argument '%s'", s); return 2; }
        a->name = s;
    }
    return 0;
}

int cmd_stack(int argc, char **argv, const hangar_globals *g)
{
    stack_args a = {.g = *g, .sub = "ls"};
    if (argc < 2) return sub_ls(&a, NULL);
    a.sub = argv[1];
    if (hangar_is_help(a.sub)) return stack_usage(stdout);
    int rc = parse_options(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    for (size_t i = 0; i < sizeof stack_cmds / sizeof stack_cmds[0]; i++) {
        const struct stack_cmd *c = &stack_cmds[i];
        if (strcmp(a.sub, c->name)) continue;
        if (!c->on_stack) return c->run(&a, NULL);
        stack_target t;
        if (stack_target_open(&a, c->name_is_stack, &t) < 0) return 1;
        rc = c->run(&a, &t);
        stack_target_release(&t);
        return rc;
    }
    hangar_error("unknown `hangar stack` command '%s'", a.sub);
    stack_usage(stderr);
    return 2;
}

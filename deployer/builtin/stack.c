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

static int with_stack(const stack_args *a, bool name_is_stack, char **project, char **stack)
{
    hg_err err = {0};
    *project = hangar_project_name(a->g.cwd, &err);
    if (!*project) return hangar_error("%s", err.message);
    if (hangar_stack_pick(&a->g, a->stack ? a->stack : name_is_stack ? a->name : NULL, stack) != 0) { free(*project); return -1; }
    return 0;
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

static int sub_ls(const stack_args *a)
{
    state_db *db;
    if (open_db(a, &db)) return 1;
    hg_err err = {0};
    char *project = hangar_project_name(a->g.cwd, &err);
    char *selected = NULL;
    if (project) hangar_stack_pick(&a->g, a->stack, &selected);
    char **names; int n;
    if (state_stack_list(db, &names, &n, &err) < 0) { free(project); state_close(db); return hangar_error("%s", err.message); }
    if (a->json) {
        cJSON *arr = cJSON_CreateArray();
        for (int i = 0; i < n; i++) {
            char org[256], proj[256], stk[256];
            if (sscanf(names[i], "%255[^/]/%255[^/]/%255s", org, proj, stk) != 3) continue;
            if (project && strcmp(proj, project)) continue;
            state_stack *s = NULL;
            if (state_stack_get(db, org, proj, stk, &s, &err) != 0) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", project ? stk : names[i]);
            cJSON_AddBoolToObject(o, "current", selected && project && !strcmp(selected, stk));
            cJSON_AddNumberToObject(o, "resourceCount", s->nres);
            if (s->updated) {
                char when[32]; time_t t = (time_t)s->updated; struct tm tm; gmtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
                cJSON_AddStringToObject(o, "lastUpdate", when);
            }
            cJSON_AddItemToArray(arr, o);
            state_stack_free(s);
        }
        char *txt = cJSON_Print(arr);
        puts(txt);
        free(txt);
        cJSON_Delete(arr);
    } else {
        printf("%-40s %-22s %s\n", "NAME", "LAST UPDATE", "RESOURCE COUNT");
        for (int i = 0; i < n; i++) {
            char org[256], proj[256], stk[256];
            if (sscanf(names[i], "%255[^/]/%255[^/]/%255s", org, proj, stk) != 3) continue;
            if (project && strcmp(proj, project)) continue;
            state_stack *s = NULL;
            if (state_stack_get(db, org, proj, stk, &s, &err) != 0) continue;
            char when[32] = "n/a", label[300];
            if (s->updated) {
                time_t t = (time_t)s->updated; struct tm tm; gmtime_r(&t, &tm);
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
            }
            snprintf(label, sizeof label, "%s%s", project ? stk : names[i],
                     selected && project && !strcmp(selected, stk) ? "*" : "");
            printf("%-40s %-22s %d\n", label, when, s->nres);
            state_stack_free(s);
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    free(project);
    free(selected);
    state_close(db);
    return 0;
}

static int sub_output(const stack_args *a)
{
    char *project, *stack;
    if (with_stack(a, false, &project, &stack) < 0) return 1;
    state_db *db;
    int ret = 1;
    if (open_db(a, &db)) goto out0;
    hg_err err = {0};
    state_stack *s = NULL;
    int rc = state_stack_get(db, ORG, project, stack, &s, &err);
    if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
    if (rc == 1) { ret = hangar_error("no stack named '%s/%s/%s'", ORG, project, stack); goto out; }
    if (a->name) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->outputs, a->name);
        if (!v) { ret = hangar_error("current stack does not have output property '%s'", a->name); goto out; }
        if (a->json) {
            cJSON *c = reveal(v, a->show_secrets);
            char *t = cJSON_Print(c);
            puts(t);
            free(t);
            cJSON_Delete(c);
        } else {
            print_value(v, a->show_secrets, true);
            putchar('\n');
        }
    } else if (a->json) {
        cJSON *c = reveal(s->outputs, a->show_secrets);
        char *t = cJSON_Print(c);
        puts(t);
        free(t);
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
    state_close(db);
out0:
    free(project);
    free(stack);
    return ret;
}

static int sub_export_import(const stack_args *a, bool export)
{
    char *project, *stack;
    if (with_stack(a, false, &project, &stack) < 0) return 1;
    state_db *db;
    int ret = 1;
    cJSON *doc = NULL;
    char *text = NULL;
    if (open_db(a, &db)) goto out0;
    hg_err err = {0};
    if (export) {
        if (state_export(db, ORG, project, stack, &doc, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
        if (a->show_secrets && state_unseal(db, ORG, project, stack, doc, &err) < 0) {
            ret = hangar_error("%s", err.message);
            goto out;
        }
        text = cJSON_Print(doc);
        FILE *f = a->file ? fopen(a->file, "w") : stdout;
        if (!f) { ret = hangar_error("cannot write %s", a->file); goto out; }
        fprintf(f, "%s\n", text);
        if (a->file) fclose(f);
    } else {
        FILE *f = a->file ? fopen(a->file, "r") : stdin;
        if (!f) { ret = hangar_error("cannot read %s", a->file); goto out; }
        size_t cap = 1 << 16, len = 0;
        text = malloc(cap);
        size_t got;
        while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
            len += got;
            if (len + 1 == cap) {
                if (cap >= (size_t)256 << 20) break;
                char *t = realloc(text, cap *= 2);
                if (!t) break;
                text = t;
            }
        }
        if (a->file) fclose(f);
        if (!text) { ret = hangar_error("out of memory"); goto out; }
        text[len] = 0;
        doc = cJSON_Parse(text);
        if (!doc) { ret = hangar_error("the checkpoint is not valid JSON"); goto out; }
        if (state_lock(db, ORG, project, stack, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
        /* plaintext secrets in the checkpoint are encrypted under this stack file's salt */
        char stack_file[4200];
        snprintf(stack_file, sizeof stack_file, "%s/Pulumi.%s.yaml", a->g.cwd ? a->g.cwd : ".", stack);
        secrets_register_stack(project, stack, stack_file);
        int rc = state_import(db, ORG, project, stack, doc, &err);
        state_unlock(db, ORG, project, stack);
        if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
        printf("Import complete.\n");
    }
    ret = 0;
out:
    cJSON_Delete(doc);
    free(text);
    state_close(db);
out0:
    free(project);
    free(stack);
    return ret;
}

static int sub_rm(const stack_args *a)
{
    char *project, *stack;
    if (with_stack(a, true, &project, &stack) < 0) return 1;
    state_db *db;
    int ret = 1;
    if (open_db(a, &db)) goto out0;
    hg_err err = {0};
    state_stack *s = NULL;
    int rc = state_stack_get(db, ORG, project, stack, &s, &err);
    if (rc != 0) { ret = hangar_error("%s", rc < 0 ? err.message : "no such stack"); goto out; }
    if (s->nres && !a->force) {
        ret = hangar_error("'%s' still has resources; removal rejected. Run `hangar destroy` first, or pass --force "
                           "to forget them (they keep existing in AWS)", stack);
        goto out;
    }
    if (state_lock(db, ORG, project, stack, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
    rc = state_stack_remove(db, ORG, project, stack, &err);
    state_force_unlock(db, ORG, project, stack, true, &(hg_err){0});
    if (rc < 0) { ret = hangar_error("%s", err.message); goto out; }
    printf("Stack '%s' has been removed!\n", stack);
    ret = 0;
out:
    state_stack_free(s);
    state_close(db);
out0:
    free(project);
    free(stack);
    return ret;
}

static int sub_unlock(const stack_args *a)
{
    char *project, *stack;
    if (with_stack(a, false, &project, &stack) < 0) return 1;
    state_db *db;
    int ret = 1;
    if (!open_db(a, &db)) {
        hg_err err = {0};
        if (state_force_unlock(db, ORG, project, stack, a->force, &err) < 0) ret = hangar_error("%s", err.message);
        else { printf("Stack '%s' unlocked.\n", stack); ret = 0; }
        state_close(db);
    }
    free(project);
    free(stack);
    return ret;
}

static int sub_init_select(const stack_args *a, bool init)
{
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

int cmd_stack(int argc, char **argv, const hangar_globals *g)
{
    stack_args a = {.g = *g};
    if (argc < 2) return sub_ls(&a);
    const char *sub = argv[1];
    if (hangar_is_help(sub)) return stack_usage(stdout);
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (hangar_is_help(s)) return stack_usage(stdout);
        if (!strcmp(s, "--json") || !strcmp(s, "-j")) a.json = true;
        else if (!strcmp(s, "--show-secrets")) a.show_secrets = true;
        else if (!strcmp(s, "--force") || !strcmp(s, "-f")) a.force = true;
        else if (!strcmp(s, "--yes") || !strcmp(s, "-y")) a.yes = true;
        else if (!strcmp(s, "--create") || !strcmp(s, "-c")) a.create = true;
        else if ((!strcmp(s, "--stack") || !strcmp(s, "-s")) && i + 1 < argc) a.stack = argv[++i];
        else if (!strncmp(s, "--stack=", 8)) a.stack = s + 8;
        else if ((!strcmp(s, "--file")) && i + 1 < argc) a.file = argv[++i];
        else if ((!strcmp(s, "-C") || !strcmp(s, "--cwd")) && i + 1 < argc) a.g.cwd = argv[++i];
        else if (s[0] == '-') { hangar_error("unknown option '%s' for `hangar stack %s`", s, sub); return 2; }
        else if (!a.name) a.name = s;
        else { hangar_error("unexpected argument '%s'", s); return 2; }
    }
    if (!strcmp(sub, "ls")) return sub_ls(&a);
    if (!strcmp(sub, "output")) return sub_output(&a);
    if (!strcmp(sub, "export")) return sub_export_import(&a, true);
    if (!strcmp(sub, "import")) return sub_export_import(&a, false);
    if (!strcmp(sub, "rm")) return sub_rm(&a);
    if (!strcmp(sub, "unlock")) return sub_unlock(&a);
    if (!strcmp(sub, "init")) return sub_init_select(&a, true);
    if (!strcmp(sub, "select")) return sub_init_select(&a, false);
    hangar_error("unknown `hangar stack` command '%s'", sub);
    stack_usage(stderr);
    return 2;
}

/*
 * config.c — `hangar config [ls] | set KEY VALUE [--secret] | get KEY [--json] | rm KEY`
 * on Pulumi.<stack>.yaml, as `pulumi config` does.
 *
 * A key without a namespace belongs to the project ("env" is "<project>:env");
 * others keep theirs ("aws:region"). The file is read, changed and written
 * back whole: every other key and top-level entry is kept, comments are not.
 * Secrets are written as `secure: b64:<base64>`, which the program loader
 * reads back as a secret; hangar keeps no encryption key, so that is
 * encoding, not encryption — a warning says so.
 */
#include "builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

static int config_usage(FILE *f)
{
    fputs("usage: hangar config [--stack S] [-C DIR] [ls | set KEY VALUE [--secret] | get KEY [--json] | rm KEY]\n\n"
          "Reads and writes Pulumi.<stack>.yaml; KEY without a namespace is the project's own.\n", f);
    return f == stdout ? 0 : 2;
}

/* A string YAML reads back as the same string, plain when safe. */
static void emit_string(FILE *f, const char *s)
{
    bool plain = *s && strlen(s) < 200;
    for (const char *p = s; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("_-./@", *p);
    static const char *const words[] = { "true", "false", "null", "yes", "no", "on", "off", "~", NULL };
    for (int i = 0; plain && words[i]; i++) plain = strcasecmp(s, words[i]) != 0;
    if (plain) {
        char *end;
        strtod(s, &end);
        if (*end == 0) plain = false;   /* looks like a number */
    }
    if (plain) { fputs(s, f); return; }
    cJSON *j = cJSON_CreateString(s);
    char *t = cJSON_PrintUnformatted(j);
    fputs(t, f);
    free(t);
    cJSON_Delete(j);
}

static void emit_value(FILE *f, const cJSON *v)
{
    if (cJSON_IsString(v)) { emit_string(f, v->valuestring); return; }
    char *t = cJSON_PrintUnformatted(v);   /* JSON is YAML's flow style */
    fputs(t ? t : "null", f);
    free(t);
}

static int write_file(const char *path, const cJSON *doc)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return hangar_error("cannot write %s", tmp);
    const cJSON *top;
    cJSON_ArrayForEach(top, doc) {
        if (!strcmp(top->string, "config") && cJSON_IsObject(top)) {
            fputs("config:\n", f);
            const cJSON *c;
            cJSON_ArrayForEach(c, top) {
                const cJSON *sec = cJSON_GetObjectItemCaseSensitive(c, "secure");
                fprintf(f, "  %s:", c->string);
                if (cJSON_IsObject(c) && cJSON_GetArraySize(c) == 1 && cJSON_IsString(sec)) {
                    fputs("\n    secure: ", f);
                    emit_string(f, sec->valuestring);
                } else {
                    fputc(' ', f);
                    emit_value(f, c);
                }
                fputc('\n', f);
            }
            continue;
        }
        fprintf(f, "%s: ", top->string);
        emit_value(f, top);
        fputc('\n', f);
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) return hangar_error("cannot write %s", path);
    return 0;
}

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

int cmd_config(int argc, char **argv, const hangar_globals *g)
{
    hangar_globals gl = *g;
    const char *stack_flag = NULL, *pos[3] = { NULL, NULL, NULL };
    bool secret = false, json = false;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (hangar_is_help(s) && npos == 0) return config_usage(stdout);
        if (!strcmp(s, "--secret")) secret = true;
        else if (!strcmp(s, "--plaintext") || !strcmp(s, "--path")) continue;
        else if (!strcmp(s, "--json") || !strcmp(s, "-j")) json = true;
        else if ((!strcmp(s, "--stack") || !strcmp(s, "-s")) && i + 1 < argc) stack_flag = argv[++i];
        else if (!strncmp(s, "--stack=", 8)) stack_flag = s + 8;
        else if ((!strcmp(s, "-C") || !strcmp(s, "--cwd")) && i + 1 < argc) gl.cwd = argv[++i];
        else if (s[0] == '-' && s[1]) { hangar_error("unknown option '%s' for `hangar config`", s); return 2; }
        else if (npos < 3) pos[npos++] = s;
        else { hangar_error("too many arguments for `hangar config`"); return 2; }
    }
    const char *sub = npos ? pos[0] : "ls";
    hg_err err = {0};
    char *project = hangar_project_name(gl.cwd, &err), *stack = NULL;
    if (!project) return hangar_error("%s", err.message);
    int ret = 1;
    cJSON *doc = NULL;
    prog_node *root = NULL;
    if (hangar_stack_pick(&gl, stack_flag, &stack) < 0) goto out;
    char path[4096], key[512];
    snprintf(path, sizeof path, "%s/Pulumi.%s.yaml", gl.cwd, stack);
    FILE *probe = fopen(path, "r");
    if (probe) {
        fclose(probe);
        if (prog_yaml_load(path, &root, &err) < 0) { ret = hangar_error("%s", err.message); goto out; }
        doc = root ? prog_node_to_json(root) : NULL;
    }
    if (!cJSON_IsObject(doc)) { cJSON_Delete(doc); doc = cJSON_CreateObject(); }
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(doc, "config");
    if (!cJSON_IsObject(cfg)) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "config");
        cfg = cJSON_AddObjectToObject(doc, "config");
    }
    if (npos >= 2) {
        if (strchr(pos[1], ':')) snprintf(key, sizeof key, "%s", pos[1]);
        else snprintf(key, sizeof key, "%s:%s", project, pos[1]);
    }

    if (!strcmp(sub, "ls")) {
        printf("%-32s %s\n", "KEY", "VALUE");
        const cJSON *c;
        cJSON_ArrayForEach(c, cfg) {
            const char *k = c->string;
            size_t pl = strlen(project);
            if (!strncmp(k, project, pl) && k[pl] == ':') k += pl + 1;
            printf("%-32s ", k);
            if (cJSON_GetObjectItemCaseSensitive(c, "secure")) fputs("[secret]", stdout);
            else emit_value(stdout, c);
            putchar('\n');
        }
        ret = 0;
    } else if (!strcmp(sub, "get")) {
        if (npos != 2) { ret = config_usage(stderr); goto out; }
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, key);
        if (!v) { ret = hangar_error("configuration key '%s' not found for stack '%s'", key, stack); goto out; }
        const cJSON *sec = cJSON_GetObjectItemCaseSensitive(v, "secure");
        cJSON *shown = NULL;
        if (cJSON_IsString(sec)) {
            const char *t = sec->valuestring;
            if (!strncmp(t, "b64:", 4)) {
                size_t n = strlen(t + 4);
                unsigned char *d = malloc(n + 1);
                int len = d ? EVP_DecodeBlock(d, (const unsigned char *)t + 4, (int)n) : -1;
                if (len >= 0) {
                    while (n && t[4 + n - 1] == '=' && len > 0) { len--; n--; }
                    d[len] = 0;
                    shown = cJSON_CreateString((char *)d);
                }
                free(d);
            }
            if (!shown) shown = cJSON_CreateString(t);
            v = shown;
        }
        if (json) {
            cJSON *o = cJSON_CreateObject();
            char *flat = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
            cJSON_AddStringToObject(o, "value", flat ? flat : v->valuestring);
            free(flat);
            cJSON_AddBoolToObject(o, "secret", sec != NULL);
            char *t = cJSON_Print(o);
            puts(t);
            free(t);
            cJSON_Delete(o);
        } else if (cJSON_IsString(v)) {
            puts(v->valuestring);
        } else {
            char *t = cJSON_PrintUnformatted(v);
            puts(t);
            free(t);
        }
        cJSON_Delete(shown);
        ret = 0;
    } else if (!strcmp(sub, "set")) {
        if (npos != 3) { ret = hangar_error("usage: hangar config set KEY VALUE [--secret]"); ret = 2; goto out; }
        cJSON *v;
        if (secret) {
            char *enc = b64(pos[2]), *text = NULL;
            if (!enc || asprintf(&text, "b64:%s", enc) < 0) { free(enc); ret = hangar_error("out of memory"); goto out; }
            free(enc);
            v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, "secure", text);
            free(text);
            fprintf(stderr, "warning: hangar keeps no encryption key; the secret is stored base64-encoded (not "
                            "encrypted) in %s and is hidden from output\n", path);
        } else {
            v = cJSON_CreateString(pos[2]);
        }
        if (cJSON_GetObjectItemCaseSensitive(cfg, key)) cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, v);
        else cJSON_AddItemToObject(cfg, key, v);
        ret = write_file(path, doc) ? 1 : 0;
    } else if (!strcmp(sub, "rm")) {
        if (npos != 2) { ret = config_usage(stderr); goto out; }
        if (!cJSON_GetObjectItemCaseSensitive(cfg, key)) { ret = hangar_error("configuration key '%s' not found", key); goto out; }
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
        ret = write_file(path, doc) ? 1 : 0;
    } else {
        hangar_error("unknown `hangar config` command '%s'", sub);
        ret = config_usage(stderr);
    }
out:
    cJSON_Delete(doc);
    prog_node_free(root);
    free(project);
    free(stack);
    return ret;
}

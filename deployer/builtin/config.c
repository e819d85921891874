/*
 * config.c — `hangar config [ls] | set KEY VALUE [--secret] | get KEY [--json] | rm KEY`
 * on Pulumi.<stack>.yaml, as `pulumi config` does.
 *
 * A key without a namespace belongs to the project ("env" is "<project>:env");
 * others keep theirs ("aws:region"). `set` and `rm` edit the file as text:
 * only the key's own line(s) in the `config:` block change (a new key is
 * appended to the block), so comments, key order and every other line stay
 * byte for byte. A file whose layout that edit cannot follow (a flow-style
 * `config: {...}`) is written back whole, without its comments.
 * Secrets are encrypted as Pulumi's passphrase provider does (secrets.h):
 * `secure: v1:<nonce>:<ciphertext>` under the file's `encryptionsalt`, which
 * the first `set --secret` creates. `get` decrypts; `ls` shows [secret]
 * unless --show-secrets. The old `secure: b64:` form is still read.
 */
#include "builtin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "hg_buf.h"
#include "secrets.h"

static int config_usage(FILE *f)
{
    fputs("usage: hangar config [--stack S] [-C DIR] [ls [--show-secrets] | set KEY VALUE [--secret] | get KEY [--json] | rm KEY]\n\n"
          "Reads and writes Pulumi.<stack>.yaml; KEY without a namespace is the project's own.\n"
          "Secrets are encrypted with the passphrase in PULUMI_CONFIG_PASSPHRASE or the file named by\n"
          "PULUMI_CONFIG_PASSPHRASE_FILE (else asked for on the terminal), as Pulumi's passphrase provider does.\n", f);
    return f == stdout ? 0 : 2;
}

/* "v1:<base64>:<base64>..." — ciphertexts and salts, written plain as Pulumi does. */
static bool is_cipher_text(const char *s)
{
    if (strncmp(s, "v1:", 3) != 0 || s[strlen(s) - 1] == ':') return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("+/=:", *p)) return false;
    return true;
}

/* A string YAML reads back as the same string, plain when safe. */
static void emit_string(FILE *f, const char *s)
{
    if (is_cipher_text(s)) { fputs(s, f); return; }
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

/* ---- editing the file in place ------------------------------------------------------ */

#define CONFIG_FILE_MAX (4u << 20)   /* a stack file is a few lines; refuse to load a huge one */

typedef struct text_lines {
    char *text;                  /* the whole file (owned) */
    size_t len;
    size_t *start; size_t n;     /* line i is text[start[i] .. start[i + 1]) (owned) */
} text_lines;

static void lines_release(text_lines *t)
{
    free(t->text);
    free(t->start);
}

/* Read path into lines; a missing file is no lines. 0, or -1 (too big, unreadable). */
static int lines_load(const char *path, text_lines *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    hg_buf b;
    hg_buf_init(&b, CONFIG_FILE_MAX);
    int rc = 0;
    if (f) {
        char chunk[8192];
        size_t r;
        while (rc == 0 && (r = fread(chunk, 1, sizeof chunk, f)) > 0) rc = hg_buf_append(&b, chunk, r);
        if (ferror(f)) rc = -1;
        fclose(f);
    }
    t->len = b.len;
    t->text = rc == 0 ? hg_buf_steal(&b) : NULL;
    hg_buf_release(&b);
    if (!t->text) return -1;
    size_t cap = 1;
    for (size_t i = 0; i < t->len; i++) cap += t->text[i] == '\n';
    t->start = malloc((cap + 1) * sizeof *t->start);
    if (!t->start) return -1;
    size_t i = 0;
    while (i < t->len) {
        t->start[t->n++] = i;
        while (i < t->len && t->text[i] != '\n') i++;
        if (i < t->len) i++;
    }
    t->start[t->n] = t->len;
    return 0;
}

static const char *line_at(const text_lines *t, size_t i, size_t *len)
{
    *len = t->start[i + 1] - t->start[i];
    return t->text + t->start[i];
}

static size_t indent_of(const char *l, size_t len)
{
    size_t k = 0;
    while (k < len && l[k] == ' ') k++;
    return k;
}

/* Blank or a comment: not part of any entry's structure. */
static bool is_filler(const char *l, size_t len)
{
    size_t k = indent_of(l, len);
    return k == len || l[k] == '\n' || l[k] == '\r' || l[k] == '#';
}

/* The key of a "  key: ..." line, unquoted, into out; false when the line is
 * no mapping entry. A plain key ends at the first ':' followed by a space or
 * the end of the line, so "aws:region: x" has the key "aws:region". */
static bool line_key(const char *l, size_t len, size_t indent, char *out, size_t cap)
{
    const char *p = l + indent, *end = l + len;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r')) end--;
    size_t n = 0;
    if (p < end && (*p == '"' || *p == '\'')) {
        char q = *p++;
        while (p < end && *p != q && n + 1 < cap) out[n++] = *p++;
        if (p >= end || *p != q || p + 1 >= end || p[1] != ':') return false;
        out[n] = '\0';
        return true;
    }
    for (; p < end; p++) {
        if (*p == ':' && (p + 1 == end || p[1] == ' ')) { out[n] = '\0'; return n > 0; }
        if (n + 1 >= cap) return false;
        out[n++] = *p;
    }
    return false;
}

/* Write "<indent>key: value" (or the secure form) for v to f. */
static void emit_entry(FILE *f, size_t indent, const char *key, const cJSON *v)
{
    fprintf(f, "%*s%s:", (int)indent, "", key);   /* as write_file writes keys */
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(v, "secure");
    if (cJSON_IsObject(v) && cJSON_GetArraySize(v) == 1 && cJSON_IsString(sec)) {
        fprintf(f, "\n%*ssecure: ", (int)indent + 2, "");
        emit_string(f, sec->valuestring);
    } else {
        fputc(' ', f);
        emit_value(f, v);
    }
    fputc('\n', f);
}

/* Set (v) or remove (v NULL) key in the file's config block, touching no
 * other line. 0 done, 1 the layout is not one this edit follows (the
 * caller rewrites the file whole), -1 on an I/O error (reported). */
static int edit_in_place(const char *path, const char *key, const cJSON *v)
{
    text_lines t;
    if (lines_load(path, &t) < 0) { lines_release(&t); return 1; }
    size_t cfg = t.n, len;
    for (size_t i = 0; i < t.n; i++) {
        const char *l = line_at(&t, i, &len);
        if (len >= 7 && !strncmp(l, "config:", 7)) {
            size_t k = 7;
            while (k < len && l[k] == ' ') k++;
            if (k < len && l[k] != '\n' && l[k] != '\r' && l[k] != '#') { lines_release(&t); return 1; }
            cfg = i;
            break;
        }
    }
    /* the block: from cfg + 1 to the first top-level line; the entries' indent is the first one's */
    size_t block_end = cfg < t.n ? cfg + 1 : t.n, indent = 0, last_entry_end = cfg + 1;
    size_t from = t.n, to = t.n;        /* the key's own lines [from, to) */
    char k[512];
    for (size_t i = block_end; cfg < t.n && i < t.n; i++) {
        const char *l = line_at(&t, i, &len);
        if (is_filler(l, len)) { block_end = i + 1; continue; }
        size_t in = indent_of(l, len);
        if (in == 0) break;
        if (!indent) indent = in;
        if (in < indent) { lines_release(&t); return 1; }
        block_end = i + 1;
        if (in > indent) {
            if (from < t.n && to == i) to = i + 1;     /* a nested line of the key's value */
            last_entry_end = i + 1;
            continue;
        }
        if (!line_key(l, len, in, k, sizeof k)) { lines_release(&t); return 1; }
        last_entry_end = i + 1;
        if (from == t.n && !strcmp(k, key)) { from = i; to = i + 1; }
    }
    if (!indent) indent = 2;
    if (!v && from == t.n) { lines_release(&t); return 1; }

    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        lines_release(&t);
        hangar_error("cannot write %s", tmp);
        return -1;
    }
    size_t cut_from = from, cut_to = to, insert_at = from;
    if (from == t.n) {                   /* a new key: after the block's last entry */
        cut_from = cut_to = insert_at = cfg < t.n ? last_entry_end : t.n;
    }
    fwrite(t.text, 1, t.start[cut_from], f);
    if (insert_at == t.n && t.len && t.text[t.len - 1] != '\n') fputc('\n', f);
    if (cfg == t.n) fputs("config:\n", f);
    if (v) emit_entry(f, indent, key, v);
    fwrite(t.text + t.start[cut_to], 1, t.len - t.start[cut_to], f);
    lines_release(&t);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        hangar_error("cannot write %s", path);
        return -1;
    }
    return 0;
}

/* Edit in place, or (a layout it cannot follow) write doc back whole. */
static int save_change(const char *path, const char *key, const cJSON *v, const cJSON *doc)
{
    int rc = edit_in_place(path, key, v);
    if (rc == 1) {
        fprintf(stderr, "warning: %s is written back whole (its comments are not kept): its config block "
                        "is not in block style\n", path);
        rc = write_file(path, doc);
    }
    return rc;
}

/* The plaintext of a secure value (new string), or NULL with err. */
static char *secure_plain(const char *path, const char *text, hg_err *err)
{
    if (!strncmp(text, "b64:", 4)) {   /* hangar's old, unencrypted form */
        size_t n = strlen(text + 4);
        unsigned char *d = malloc(n + 1);
        int len = d ? EVP_DecodeBlock(d, (const unsigned char *)text + 4, (int)n) : -1;
        if (len < 0) { free(d); hg_err_validation(err, "secure value is not valid base64"); return NULL; }
        while (n && text[4 + n - 1] == '=' && len > 0) { len--; n--; }
        d[len] = 0;
        fprintf(stderr, "warning: %s holds a b64: secure value (encoded, not encrypted); set it again with "
                        "--secret to encrypt it\n", path);
        return (char *)d;
    }
    if (strncmp(text, "v1:", 3) != 0) return strdup(text);
    const secrets_crypter *c;
    char *plain = NULL;
    if (secrets_for_stack_file(path, false, &c, NULL, err) < 0) return NULL;
    if (secrets_decrypt(c, text, &plain, NULL, err) < 0) return NULL;
    return plain;
}

/* Put the encryptionsalt first in doc, as Pulumi writes it. */
static void doc_set_salt(cJSON *doc, const char *salt)
{
    cJSON_DeleteItemFromObjectCaseSensitive(doc, "encryptionsalt");
    cJSON *v = cJSON_CreateString(salt);
    if (!v) return;
    v->string = strdup("encryptionsalt");
    if (!v->string) { cJSON_Delete(v); return; }
    v->next = doc->child;
    if (doc->child) { v->prev = doc->child->prev; doc->child->prev = v; }
    else v->prev = v;
    doc->child = v;
}

int cmd_config(int argc, char **argv, const hangar_globals *g)
{
    hangar_globals gl = *g;
    const char *stack_flag = NULL, *pos[3] = { NULL, NULL, NULL };
    bool secret = false, json = false, show_secrets = false;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (hangar_is_help(s) && npos == 0) return config_usage(stdout);
        if (!strcmp(s, "--secret")) secret = true;
        else if (!strcmp(s, "--plaintext") || !strcmp(s, "--path")) continue;
        else if (!strcmp(s, "--json") || !strcmp(s, "-j")) json = true;
        else if (!strcmp(s, "--show-secrets")) show_secrets = true;
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
    if (hangar_stack_pick(&gl, stack_flag, &stack) != 0) goto out;   /* it returns hangar_error()'s 1 */
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
            const cJSON *sec = cJSON_GetObjectItemCaseSensitive(c, "secure");
            if (sec && !show_secrets) {
                fputs("[secret]", stdout);
            } else if (cJSON_IsString(sec)) {
                char *plain = secure_plain(path, sec->valuestring, &err);
                if (!plain) { putchar('\n'); ret = hangar_error("%s: %s", k, err.message); goto out; }
                emit_string(stdout, plain);
                free(plain);
            } else {
                emit_value(stdout, c);
            }
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
            char *plain = secure_plain(path, sec->valuestring, &err);
            if (!plain) { ret = hangar_error("%s", err.message); goto out; }
            shown = cJSON_CreateString(plain);
            free(plain);
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
            const secrets_crypter *c;
            char *salt = NULL, *text = NULL;
            if (secrets_for_stack_file(path, true, &c, &salt, &err) < 0 ||
                secrets_encrypt(c, pos[2], strlen(pos[2]), &text, &err) < 0) {
                free(salt);
                ret = hangar_error("%s", err.message);
                goto out;
            }
            doc_set_salt(doc, salt);   /* the file may have just got it */
            free(salt);
            v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, "secure", text);
            free(text);
        } else {
            v = cJSON_CreateString(pos[2]);
        }
        if (cJSON_GetObjectItemCaseSensitive(cfg, key)) cJSON_ReplaceItemInObjectCaseSensitive(cfg, key, v);
        else cJSON_AddItemToObject(cfg, key, v);
        ret = save_change(path, key, v, doc) ? 1 : 0;
    } else if (!strcmp(sub, "rm")) {
        if (npos != 2) { ret = config_usage(stderr); goto out; }
        if (!cJSON_GetObjectItemCaseSensitive(cfg, key)) { ret = hangar_error("configuration key '%s' not found", key); goto out; }
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
        ret = save_change(path, key, NULL, doc) ? 1 : 0;
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

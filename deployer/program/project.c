/*
 * project.c — a Pulumi YAML project folder to a prog_project.
 *
 * Reads Pulumi.yaml (runtime yaml only), the program in it or in Main.yaml
 * (beside it, or where `main:` points), and Pulumi.<stack>.yaml; resolves
 * configuration against the project's schema; then hands over to graph.c
 * for options, dependencies and order.
 *
 * Configuration rules (as Pulumi YAML applies them):
 *   1. Every key is stored namespaced: the project's own keys as
 *      "<project>:key", others as written ("aws:region"). A bare key in the
 *      stack file belongs to the project.
 *   2. A schema entry ({type, default, secret, description}) types the value:
 *      string, integer, boolean, array, object. Without a schema, scalars are
 *      strings (Pulumi config values are strings) and structured values keep
 *      their shape.
 *   3. A declared key with no default and no value is an error naming the key
 *      and the file to put it in.
 *   4. Secret keys (schema `secret: true`, or `secure:` values) are stored
 *      wrapped in the secret signature so everything built from them is secret.
 *      `secure: v1:...` values are decrypted with Pulumi's passphrase provider
 *      (the stack file's encryptionsalt and PULUMI_CONFIG_PASSPHRASE; see
 *      secrets.h); the passphrase is asked for only when a stack has such a
 *      value. The "b64:<base64>" form older hangar wrote is still read, with
 *      a warning, so existing stack files keep working.
 */
#include "prog_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hg_json.h"
#include "secrets.h"

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *path_join(const char *dir, const char *name)
{
    char *s = NULL;
    if (!dir || !*dir || strcmp(dir, ".") == 0) return strdup(name);
    if (asprintf(&s, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name) < 0) return NULL;
    return s;
}

void prog_project_free(prog_project *p)
{
    if (!p) return;
    for (int i = 0; i < p->nresources; i++) {
        prog_resource *r = &p->resources[i];
        for (int j = 0; j < r->ndepends_on; j++) free(r->depends_on[j]);
        for (int j = 0; j < r->ndeps; j++) free(r->deps[j]);
        for (int j = 0; j < r->nignore_changes; j++) free(r->ignore_changes[j]);
        for (int j = 0; j < r->nreplace_on_changes; j++) free(r->replace_on_changes[j]);
        free(r->depends_on);
        free(r->deps);
        free(r->ignore_changes);
        free(r->replace_on_changes);
    }
    free(p->resources);
    free(p->dir);
    free(p->file);
    free(p->name);
    free(p->description);
    free(p->stack);
    free(p->stack_file);
    prog_node_free(p->root);
    prog_node_free(p->main_root);
    prog_node_free(p->stack_root);
    cJSON_Delete(p->config);
    free(p);
}

static cJSON *secret_wrap(cJSON *v)
{
    cJSON *s = cJSON_CreateObject();
    if (!s) { cJSON_Delete(v); return NULL; }
    cJSON_AddStringToObject(s, PROG_SIG_KEY, PROG_SIG_SECRET);
    cJSON_AddItemToObject(s, "value", v);
    return s;
}

/* The plaintext of a `secure:` entry s of key full. New string, or NULL with err. */
static char *secure_text(const prog_project *p, const char *full, const prog_node *s, hg_err *err)
{
    const char *text = s->scalar;
    if (strncmp(text, "b64:", 4) == 0) {
        /* hangar's old placeholder: encoded, never encrypted */
        size_t n;
        unsigned char *d = prog_b64_decode(text + 4, &n);
        if (!d) { prog_err_at(err, s, "configuration '%s': secure value is not valid base64", full); return NULL; }
        char *t = malloc(n + 1);
        if (t) { memcpy(t, d, n); t[n] = '\0'; }
        free(d);
        fprintf(stderr, "warning: %s:%d: '%s' is only base64-encoded (b64:), not encrypted; run "
                        "`hangar config set %s --secret <value>` to encrypt it\n", s->file, s->line, full, full);
        return t;
    }
    if (strncmp(text, "v1:", 3) != 0) return strdup(text);
    const secrets_crypter *c = NULL;
    char *plain = NULL;
    if (secrets_for_stack_file(p->stack_file, false, &c, NULL, err) < 0) return NULL;
    if (secrets_decrypt(c, text, &plain, NULL, err) < 0) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        hg_err_clear(err);
        prog_err_at(err, s, "configuration '%s': %s", full, msg);
        return NULL;
    }
    return plain;
}

/* A stack-file value as JSON, untyped (rule 2): scalars are strings. */
static cJSON *raw_value(const prog_node *n)
{
    if (n->kind == PN_SCALAR) return cJSON_CreateString(n->scalar);
    return prog_node_to_json(n);
}

static const char *type_name_of(const prog_node *schema)
{
    const prog_node *t = prog_map_get(schema, "type");
    return t && t->kind == PN_SCALAR ? t->scalar : NULL;
}

/* Coerce a value node to a schema type (rule 2). New value or NULL with err. */
static cJSON *typed_value(const char *key, const char *type, const prog_node *v, hg_err *err)
{
    if (!type || !strcmp(type, "string")) {
        if (v->kind != PN_SCALAR) {
            prog_err_at(err, v, "configuration '%s' must be a string", key);
            return NULL;
        }
        return cJSON_CreateString(v->scalar);
    }
    if (!strcmp(type, "integer") || !strcmp(type, "number")) {
        char *end = NULL;
        errno = 0;
        double d = 0;
        if (v->kind == PN_SCALAR && *v->scalar) {
            if (!strcmp(type, "integer")) {
                long long ll = strtoll(v->scalar, &end, 10);
                d = (double)ll;
            } else {
                d = strtod(v->scalar, &end);
            }
        }
        if (!end || *end || errno) {
            prog_err_at(err, v, "configuration '%s' must be %s, not '%s'", key,
                        !strcmp(type, "integer") ? "an integer" : "a number",
                        v->kind == PN_SCALAR ? v->scalar : "(structured value)");
            return NULL;
        }
        return cJSON_CreateNumber(d);
    }
    if (!strcmp(type, "boolean")) {
        if (v->kind == PN_SCALAR) {
            const char *s = v->scalar;
            if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return cJSON_CreateTrue();
            if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return cJSON_CreateFalse();
        }
        prog_err_at(err, v, "configuration '%s' must be a boolean (true or false)", key);
        return NULL;
    }
    if (!strcmp(type, "array") || !strcmp(type, "list")) {
        if (v->kind != PN_SEQ) { prog_err_at(err, v, "configuration '%s' must be a list", key); return NULL; }
        return prog_node_to_json(v);
    }
    if (!strcmp(type, "object")) {
        if (v->kind != PN_MAP) { prog_err_at(err, v, "configuration '%s' must be an object", key); return NULL; }
        return prog_node_to_json(v);
    }
    prog_err_at(err, v, "configuration '%s' has unknown type '%s' (string, integer, number, boolean, array or object)",
                key, type);
    return NULL;
}

/* Is this project-file config entry a schema or a plain default? */
static bool is_schema(const prog_node *n)
{
    return n->kind == PN_MAP && (prog_map_get(n, "type") || prog_map_get(n, "default") ||
                                 prog_map_get(n, "secret") || prog_map_get(n, "description") ||
                                 prog_map_get(n, "value") || prog_map_get(n, "items"));
}

/* "key" -> "<project>:key"; "ns:key" stays. New string. */
static char *full_key(const prog_project *p, const char *key)
{
    char *s = NULL;
    if (strchr(key, ':')) return strdup(key);
    if (asprintf(&s, "%s:%s", p->name, key) < 0) return NULL;
    return s;
}

/* The value the stack file gives a key (full name), or NULL. */
static const prog_node *stack_value(const prog_project *p, const char *full)
{
    const prog_node *cfg = p->stack_root ? prog_map_get(p->stack_root, "config") : NULL;
    if (!cfg || cfg->kind != PN_MAP) return NULL;
    const prog_node *v = prog_map_get(cfg, full);
    size_t plen = strlen(p->name);
    if (!v && strncmp(full, p->name, plen) == 0 && full[plen] == ':')
        v = prog_map_get(cfg, full + plen + 1);   /* rule 1: a bare key is the project's */
    return v;
}

static bool truthy(const prog_node *n)
{
    return n && n->kind == PN_SCALAR && (!strcmp(n->scalar, "true") || !strcmp(n->scalar, "True"));
}

/* One stack-file value with its schema (or none) to JSON; secure handled. */
static cJSON *resolve_value(const prog_project *p, const char *full, const prog_node *schema,
                            const prog_node *v, bool *secret, hg_err *err)
{
    if (v->kind == PN_MAP && v->n == 1 && !strcmp(v->keys[0], "secure")) {
        const prog_node *s = v->items[0];
        if (s->kind != PN_SCALAR) { prog_err_at(err, s, "configuration '%s': secure value must be a string", full); return NULL; }
        char *t = secure_text(p, full, s, err);
        if (!t) return NULL;
        *secret = true;
        prog_node tmp = *s;
        tmp.scalar = t;
        tmp.quoted = true;
        cJSON *r = typed_value(full, schema ? type_name_of(schema) : NULL, &tmp, err);
        free(t);
        return r;
    }
    if (schema) return typed_value(full, type_name_of(schema), v, err);
    return raw_value(v);
}

static int config_add(prog_project *p, const char *full, cJSON *v, bool secret, hg_err *err)
{
    if (!v) return hg_err_isset(err) ? -1 : hg_err_internal(err, "out of memory");
    if (secret && !(v = secret_wrap(v))) return hg_err_internal(err, "out of memory");
    hg_json_set(p->config, full, v);
    return 0;
}

static int resolve_config(prog_project *p, hg_err *err)
{
    if (!(p->config = cJSON_CreateObject())) return hg_err_internal(err, "out of memory");
    const char *stack_base = strrchr(p->stack_file, '/');
    stack_base = stack_base ? stack_base + 1 : p->stack_file;

    /* declared keys first: schema, default, required (rules 2 and 3) */
    const prog_node *schema = p->config_schema;
    if (schema && schema->kind != PN_MAP)
        return prog_err_at(err, schema, "config must be a map of keys");
    for (int i = 0; schema && i < schema->n; i++) {
        const char *key = schema->keys[i];
        const prog_node *entry = schema->items[i];
        char *full = full_key(p, key);
        if (!full) return hg_err_internal(err, "out of memory");
        const prog_node *sch = is_schema(entry) ? entry : NULL;
        const prog_node *v = stack_value(p, full);
        bool secret = sch && truthy(prog_map_get(sch, "secret"));
        cJSON *val = NULL;
        if (v) {
            val = resolve_value(p, full, sch, v, &secret, err);
        } else {
            const prog_node *def = sch ? (prog_map_get(sch, "default") ? prog_map_get(sch, "default")
                                                                        : prog_map_get(sch, "value"))
                                       : entry;
            if (!def) {
                const char *colon = strchr(full, ':');
                bool own = strncmp(full, p->name, (size_t)(colon - full)) == 0 &&
                           strlen(p->name) == (size_t)(colon - full);
                int rc = hg_err_set(err, 400, "ProgramError",
                    "Missing required configuration variable '%s'\n\tplease set a value using the command "
                    "`hangar config set %s <value>%s --stack %s` or add it to %s",
                    full, own ? colon + 1 : full, secret ? " --secret" : "", p->stack, stack_base);
                free(full);
                return rc;
            }
            val = sch ? typed_value(full, type_name_of(sch), def, err) : prog_node_to_json(def);
        }
        int rc = config_add(p, full, val, secret, err);
        free(full);
        if (rc < 0) return -1;
    }

    /* then every stack-file key not declared (rule 1) */
    const prog_node *cfg = p->stack_root ? prog_map_get(p->stack_root, "config") : NULL;
    if (cfg && cfg->kind != PN_MAP) return prog_err_at(err, cfg, "config must be a map of keys");
    for (int i = 0; cfg && i < cfg->n; i++) {
        char *full = full_key(p, cfg->keys[i]);
        if (!full) return hg_err_internal(err, "out of memory");
        if (cJSON_GetObjectItemCaseSensitive(p->config, full)) { free(full); continue; }
        bool secret = false;
        cJSON *val = resolve_value(p, full, NULL, cfg->items[i], &secret, err);
        int rc = config_add(p, full, val, secret, err);
        free(full);
        if (rc < 0) return -1;
    }
    return 0;
}

/* The node holding a program section: Main.yaml wins when present. */
static const prog_node *section(const prog_project *p, const char *name)
{
    const prog_node *n = p->main_root ? prog_map_get(p->main_root, name) : NULL;
    return n ? n : prog_map_get(p->root, name);
}

static int check_runtime(const prog_project *p, hg_err *err)
{
    const prog_node *rt = prog_map_get(p->root, "runtime");
    if (!rt) return prog_err_at(err, p->root, "Pulumi.yaml has no 'runtime' (hangar runs runtime: yaml)");
    if (rt->kind == PN_MAP) rt = prog_map_get(rt, "name");
    if (!rt || rt->kind != PN_SCALAR)
        return prog_err_at(err, prog_map_get(p->root, "runtime"), "runtime must be a name such as 'yaml'");
    if (strcmp(rt->scalar, "yaml") != 0)
        return prog_err_at(err, rt, "runtime '%s' is not supported: hangar runs Pulumi YAML programs (runtime: yaml)",
                           rt->scalar);
    return 0;
}

/* Main.yaml beside Pulumi.yaml, or where `main:` points (a file or a folder). */
static int load_main(prog_project *p, const char *shown_dir, hg_err *err)
{
    const prog_node *m = prog_map_get(p->root, "main");
    char *path = NULL;
    if (m) {
        if (m->kind != PN_SCALAR) return prog_err_at(err, m, "main must be a path");
        char *base = path_join(shown_dir, m->scalar);
        if (!base) return hg_err_internal(err, "out of memory");
        struct stat st;
        if (stat(base, &st) == 0 && S_ISDIR(st.st_mode)) {
            path = path_join(base, "Main.yaml");
            free(base);
            if (!path) return hg_err_internal(err, "out of memory");
            if (!file_exists(path)) {
                int rc = prog_err_at(err, m, "main: '%s' has no Main.yaml", m->scalar);
                free(path);
                return rc;
            }
        } else if (file_exists(base)) {
            path = base;
        } else {
            free(base);
            return prog_err_at(err, m, "main: '%s' does not exist", m->scalar);
        }
    } else {
        if (!(path = path_join(shown_dir, "Main.yaml"))) return hg_err_internal(err, "out of memory");
        if (!file_exists(path)) { free(path); return 0; }
    }
    int rc = prog_yaml_load(path, &p->main_root, err);
    free(path);
    if (rc < 0) return -1;
    if (p->main_root->kind != PN_MAP) return prog_err_at(err, p->main_root, "the program must be a map");
    static const char *const sections[] = { "resources", "variables", "outputs", NULL };
    for (int i = 0; sections[i]; i++) {
        const prog_node *a = prog_map_get(p->root, sections[i]);
        if (a && prog_map_get(p->main_root, sections[i]))
            return prog_err_at(err, a, "'%s' is in both Pulumi.yaml and %s; keep one", sections[i],
                               p->main_root->file);
    }
    return 0;
}

static int dup_scalar(const prog_node *root, const char *key, char **out, bool required, hg_err *err)
{
    const prog_node *n = prog_map_get(root, key);
    if (!n) return required ? prog_err_at(err, root, "Pulumi.yaml has no '%s'", key) : 0;
    if (n->kind != PN_SCALAR || !*n->scalar) return prog_err_at(err, n, "'%s' must be a non-empty string", key);
    if (!(*out = strdup(n->scalar))) return hg_err_internal(err, "out of memory");
    return 0;
}

int prog_load(const char *dir, const char *stack, const char *const *types, prog_project **out, hg_err *err)
{
    *out = NULL;
    if (!dir || !*dir) dir = ".";
    if (!stack || !*stack) stack = "dev";
    for (const char *c = stack; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_' || *c == '.') || strlen(stack) > 100)
            return hg_err_set(err, 400, "ProgramError",
                              "stack name '%s' may only contain letters, digits, '-', '_' and '.'", stack);
    prog_project *p = calloc(1, sizeof *p);
    if (!p) return hg_err_internal(err, "out of memory");
    int rc = -1;
    char *shown = NULL;      /* Pulumi.yaml as the user named the folder, for messages */
    char abs[PATH_MAX];
    if (!realpath(dir, abs)) {
        hg_err_set(err, 400, "ProgramError", "%s: %s", dir, strerror(errno));
        goto done;
    }
    if (!(p->dir = strdup(abs)) || !(p->stack = strdup(stack)) ||
        !(p->file = path_join(abs, "Pulumi.yaml")) || !(shown = path_join(dir, "Pulumi.yaml"))) {
        hg_err_internal(err, "out of memory");
        goto done;
    }
    if (!file_exists(p->file)) {
        char *alt = path_join(abs, "Pulumi.yml");
        if (!alt) { hg_err_internal(err, "out of memory"); goto done; }
        if (file_exists(alt)) {
            free(p->file);
            free(shown);
            shown = NULL;
            p->file = alt;
            if (!(shown = path_join(dir, "Pulumi.yml"))) {
                hg_err_internal(err, "out of memory");
                goto done;
            }
        } else {
            free(alt);
            hg_err_set(err, 400, "ProgramError", "no Pulumi.yaml in %s (is this a Pulumi project folder?)", abs);
            goto done;
        }
    }
    if (prog_yaml_load(shown, &p->root, err) < 0) goto done;
    if (p->root->kind != PN_MAP) { prog_err_at(err, p->root, "Pulumi.yaml must be a map"); goto done; }
    if (dup_scalar(p->root, "name", &p->name, true, err) < 0) goto done;
    if (strchr(p->name, ':') || strchr(p->name, '/')) {
        prog_err_at(err, prog_map_get(p->root, "name"), "project name '%s' may not contain ':' or '/'", p->name);
        goto done;
    }
    if (dup_scalar(p->root, "description", &p->description, false, err) < 0) goto done;
    if (check_runtime(p, err) < 0) goto done;

    char *shown_dir = strdup(dir);
    if (!shown_dir) { hg_err_internal(err, "out of memory"); goto done; }
    int mrc = load_main(p, shown_dir, err);
    if (mrc == 0) {
        char name[PATH_MAX];
        snprintf(name, sizeof name, "Pulumi.%s.yaml", stack);
        if (!(p->stack_file = path_join(shown_dir, name))) mrc = hg_err_internal(err, "out of memory");
    }
    free(shown_dir);
    if (mrc < 0) goto done;
    if (file_exists(p->stack_file)) {
        if (prog_yaml_load(p->stack_file, &p->stack_root, err) < 0) goto done;
        if (p->stack_root->kind != PN_MAP) { prog_err_at(err, p->stack_root, "a stack file must be a map"); goto done; }
    }
    /* the stack file path handed out is absolute, like dir */
    {
        char name[PATH_MAX];
        snprintf(name, sizeof name, "Pulumi.%s.yaml", stack);
        char *absf = path_join(abs, name);
        if (!absf) { hg_err_internal(err, "out of memory"); goto done; }
        free(p->stack_file);
        p->stack_file = absf;
    }
    /* state finds the salt to encrypt this stack's secrets with through here */
    secrets_register_stack(p->name, p->stack, p->stack_file);

    p->config_schema = prog_map_get(p->root, "config");
    if (!p->config_schema) p->config_schema = prog_map_get(p->root, "configuration");   /* legacy */
    if (p->main_root && !p->config_schema) {
        p->config_schema = prog_map_get(p->main_root, "config");
        if (!p->config_schema) p->config_schema = prog_map_get(p->main_root, "configuration");
    }
    p->variables = section(p, "variables");
    p->resources_node = section(p, "resources");
    p->outputs = section(p, "outputs");
    if (resolve_config(p, err) < 0) goto done;
    if (prog_graph_build(p, types, err) < 0) goto done;
    *out = p;
    p = NULL;
    rc = 0;
done:
    free(shown);
    prog_project_free(p);
    return rc;
}

/*
 * identity.c — the users of the --iam file, their access keys and policies.
 *
 * Invariants:
 *   1. Loaded once, before any server thread starts (main.c), and never
 *      changed after: lookups take no lock.
 *   2. Every access key belongs to exactly one user; a duplicate is refused
 *      at load, so a key names its user without ambiguity.
 *   3. Every policy document is validated at load with IAM's rules, so a
 *      typo in the file fails the start-up instead of silently denying.
 */
#include "iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hg_crypto.h"

#define MAX_FILE (4u * 1024 * 1024)

typedef struct key_entry { char *id; char *secret; const iam_user *user; } key_entry;

static iam_user  *users;
static size_t     nusers;
static key_entry *keys;
static size_t     nkeys;
static cJSON     *root;          /* the parsed file: users' policies point into it */

void iam_identity_free(void)
{
    for (size_t i = 0; i < nusers; i++) {
        free(users[i].name);
        free(users[i].arn);
        free(users[i].user_id);
    }
    for (size_t i = 0; i < nkeys; i++) {
        free(keys[i].id);
        free(keys[i].secret);
    }
    free(users);
    free(keys);
    cJSON_Delete(root);
    users = NULL, keys = NULL, root = NULL;
    nusers = nkeys = 0;
}

static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("+=,.@_-", *s)))
            return 0;
    return 1;
}

static int key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 128) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* "AIDA" + 17 characters from the ARN's SHA-256: stable across restarts. */
static char *user_id_of(const char *arn)
{
    unsigned char md[HG_SHA256_LEN];
    hg_sha256((const unsigned char *)arn, strlen(arn), md);
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char *id = malloc(22);
    if (!id) return NULL;
    memcpy(id, "AIDA", 4);
    for (int i = 0; i < 17; i++) id[4 + i] = alphabet[md[i] & 31];
    id[21] = '\0';
    return id;
}

#define BAD(err, ...) hg_err_set((err), 1, "BadIamFile", __VA_ARGS__)

int iam_identity_load_text(const char *text, const char *account, hg_err *err)
{
    iam_identity_free();
    root = cJSON_Parse(text);
    if (!root) return BAD(err, "not valid JSON (near byte %ld)", (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
    const cJSON *us = cJSON_GetObjectItemCaseSensitive(root, "users");
    if (!cJSON_IsArray(us)) { iam_identity_free(); return BAD(err, "\"users\" must be a list"); }
    size_t n = (size_t)cJSON_GetArraySize(us), nk = 0;
    const cJSON *u;
    cJSON_ArrayForEach(u, us) nk += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(u, "accessKeys"));
    users = calloc(n + 1, sizeof *users);
    keys = calloc(nk + 1, sizeof *keys);
    if (!users || !keys) { iam_identity_free(); return hg_err_internal(err, "out of memory"); }
    int i = 0;
    cJSON_ArrayForEach(u, us) {
        i++;
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(u, "name");
        if (!cJSON_IsObject(u) || !cJSON_IsString(name) || !name_ok(name->valuestring)) {
            iam_identity_free();
            return BAD(err, "user %d: \"name\" must be 1 to 64 characters of [A-Za-z0-9+=,.@_-]", i);
        }
        for (size_t j = 0; j < nusers; j++)
            if (strcmp(users[j].name, name->valuestring) == 0) {
                iam_identity_free();
                return BAD(err, "user %d: the name \"%s\" is used twice", i, name->valuestring);
            }
        iam_user *usr = &users[nusers++];
        usr->name = strdup(name->valuestring);
        size_t alen = strlen(account) + strlen(name->valuestring) + 32;
        usr->arn = malloc(alen);
        if (usr->arn) snprintf(usr->arn, alen, "arn:aws:iam::%s:user/%s", account, name->valuestring);
        usr->user_id = usr->arn ? user_id_of(usr->arn) : NULL;
        if (!usr->name || !usr->arn || !usr->user_id) { iam_identity_free(); return hg_err_internal(err, "out of memory"); }
        cJSON *pol = cJSON_GetObjectItemCaseSensitive(u, "policies");
        if (pol && !cJSON_IsArray(pol)) {
            BAD(err, "user \"%s\": \"policies\" must be a list of policy documents", usr->name);
            iam_identity_free();
            return -1;
        }
        const cJSON *doc;
        int p = 0;
        if (pol) cJSON_ArrayForEach(doc, pol) {
            p++;
            hg_err perr;
            hg_err_clear(&perr);
            if (iam_policy_validate(doc, 1, &perr) != 0) {
                BAD(err, "user \"%s\", policy %d: %s", usr->name, p, perr.message);
                iam_identity_free();
                return -1;
            }
        }
        usr->policies = pol;
        const cJSON *ks = cJSON_GetObjectItemCaseSensitive(u, "accessKeys");
        if (!cJSON_IsArray(ks)) {
            BAD(err, "user \"%s\": \"accessKeys\" must be a list of {accessKeyId, secretAccessKey}", usr->name);
            iam_identity_free();
            return -1;
        }
        const cJSON *k;
        cJSON_ArrayForEach(k, ks) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(k, "accessKeyId");
            const cJSON *sec = cJSON_GetObjectItemCaseSensitive(k, "secretAccessKey");
            if (!cJSON_IsString(id) || !key_ok(id->valuestring) || !cJSON_IsString(sec) || !*sec->valuestring ||
                strlen(sec->valuestring) > 128) {
                BAD(err, "user \"%s\": every access key needs an accessKeyId (4 to 128 of [A-Za-z0-9_-]) "
                    "and a secretAccessKey (1 to 128 characters)", usr->name);
                iam_identity_free();
                return -1;
            }
            for (size_t j = 0; j < nkeys; j++)
                if (strcmp(keys[j].id, id->valuestring) == 0) {
                    BAD(err, "access key %s is given to more than one user", id->valuestring);
                    iam_identity_free();
                    return -1;
                }
            key_entry *e = &keys[nkeys++];
            e->id = strdup(id->valuestring);
            e->secret = strdup(sec->valuestring);
            e->user = usr;
            if (!e->id || !e->secret) { iam_identity_free(); return hg_err_internal(err, "out of memory"); }
        }
    }
    return 0;
}

int iam_identity_load(const char *path, const char *account, hg_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return BAD(err, "--iam %s: cannot open the file", path);
    char *text = malloc(MAX_FILE + 1);
    size_t n = text ? fread(text, 1, MAX_FILE + 1, f) : 0;
    int rerr = ferror(f);
    fclose(f);
    if (!text) return hg_err_internal(err, "out of memory");
    if (rerr || n > MAX_FILE) {
        free(text);
        return BAD(err, "--iam %s: %s", path, rerr ? "cannot read the file" : "larger than 4 MB");
    }
    text[n] = '\0';
    hg_err e;
    hg_err_clear(&e);
    int rc = iam_identity_load_text(text, account, &e);
    free(text);
    if (rc != 0) return hg_err_set(err, e.status, e.code, "--iam %s: %s", path, e.message);
    return 0;
}

const iam_user *iam_identity_find(const char *access_key, const char **secret)
{
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(keys[i].id, access_key) == 0) {
            if (secret) *secret = keys[i].secret;
            return keys[i].user;
        }
    return NULL;
}

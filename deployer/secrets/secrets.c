/*
 * secrets.c — Pulumi's passphrase secrets provider (see secrets.h for the
 * formats and invariants). OpenSSL libcrypto does the cryptography:
 * PKCS5_PBKDF2_HMAC for the key, EVP AES-256-GCM for values, RAND_bytes for
 * salts and nonces.
 */
#include "secrets.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "program.h"

#define KEY_BYTES   32
#define SALT_BYTES  8         /* NewPassphraseSecretsManager */
#define NONCE_BYTES 12        /* GCM's standard nonce */
#define TAG_BYTES   16
#define PBKDF2_ITERATIONS 1000000
#define MAX_VALUE   (64u << 20)   /* a secret larger than this is not a config value */
#define MAX_PASSPHRASE 4096

static const char INCORRECT[] =
    "incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase or set "
    "PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase";

struct secrets_crypter {
    unsigned char key[KEY_BYTES];
};

/* ---- base64 (standard alphabet, padded, as Go's StdEncoding) ------------------ */

static char *b64_encode(const unsigned char *p, size_t n)
{
    if (n > MAX_VALUE) return NULL;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out) EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

/* Decode exactly len characters; NULL when not valid base64. New buffer. */
static unsigned char *b64_decode(const char *s, size_t len, size_t *n)
{
    if (len == 0 || len % 4 != 0 || len > MAX_VALUE) return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                  c == '/' || (c == '=' && i >= len - 2);
        if (!ok) return NULL;
    }
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out) return NULL;
    int got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (got < 0) { free(out); return NULL; }
    size_t pad = (s[len - 1] == '=') + (s[len - 2] == '=');
    *n = (size_t)got - pad;
    return out;
}

/* ---- AES-256-GCM ------------------------------------------------------------------ */

int secrets_encrypt(const secrets_crypter *c, const char *plain, size_t n, char **out, hg_err *err)
{
    *out = NULL;
    if (n > MAX_VALUE) return hg_err_validation(err, "secret value too large to encrypt (%zu bytes)", n);
    unsigned char nonce[NONCE_BYTES];
    if (RAND_bytes(nonce, sizeof nonce) != 1) return hg_err_internal(err, "no random bytes for a nonce");
    unsigned char *ct = malloc(n + TAG_BYTES);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0, ok = ct && x &&
        EVP_EncryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) == 1 &&
        EVP_EncryptInit_ex(x, NULL, NULL, c->key, nonce) == 1 &&
        EVP_EncryptUpdate(x, ct, &len, (const unsigned char *)plain, (int)n) == 1 &&
        EVP_EncryptFinal_ex(x, ct + len, &fin) == 1 &&
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, ct + len + fin) == 1;
    EVP_CIPHER_CTX_free(x);
    char *bn = ok ? b64_encode(nonce, sizeof nonce) : NULL;
    char *bc = ok ? b64_encode(ct, (size_t)(len + fin) + TAG_BYTES) : NULL;
    free(ct);
    if (bn && bc && asprintf(out, "v1:%s:%s", bn, bc) < 0) *out = NULL;
    free(bn);
    free(bc);
    return *out ? 0 : hg_err_internal(err, "could not encrypt a secret");
}

int secrets_decrypt(const secrets_crypter *c, const char *text, char **out, size_t *n, hg_err *err)
{
    *out = NULL;
    if (strncmp(text, "v1:", 3) != 0)
        return hg_err_validation(err, "secret value has an unknown version (expected \"v1:<nonce>:<ciphertext>\")");
    const char *nb = text + 3, *colon = strchr(nb, ':');
    if (!colon || strchr(colon + 1, ':'))
        return hg_err_validation(err, "secret value is malformed (expected \"v1:<nonce>:<ciphertext>\")");
    size_t nlen = 0, clen = 0;
    unsigned char *nonce = b64_decode(nb, (size_t)(colon - nb), &nlen);
    unsigned char *ct = b64_decode(colon + 1, strlen(colon + 1), &clen);
    int rc = -1;
    if (!nonce || !ct) { hg_err_validation(err, "secret value is not valid base64"); goto done; }
    if (nlen != NONCE_BYTES) { hg_err_validation(err, "secret value: nonce size is incorrect"); goto done; }
    if (clen < TAG_BYTES) { hg_err_validation(err, "secret value is too short to hold its tag"); goto done; }
    size_t body = clen - TAG_BYTES;
    char *plain = malloc(body + 1);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0, ok = plain && x &&
        EVP_DecryptInit_ex(x, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) == 1 &&
        EVP_DecryptInit_ex(x, NULL, NULL, c->key, nonce) == 1 &&
        EVP_DecryptUpdate(x, (unsigned char *)plain, &len, ct, (int)body) == 1 &&
        EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, ct + body) == 1 &&
        EVP_DecryptFinal_ex(x, (unsigned char *)plain + len, &fin) == 1;   /* checks the tag */
    EVP_CIPHER_CTX_free(x);
    if (!ok) {
        free(plain);
        hg_err_set(err, 400, "SecretsError", "failed to decrypt: %s", INCORRECT);
        goto done;
    }
    plain[len + fin] = '\0';
    if (n) *n = (size_t)(len + fin);
    *out = plain;
    rc = 0;
done:
    free(nonce);
    free(ct);
    return rc;
}

/* ---- crypters from passphrase and salt ---------------------------------------------- */

static secrets_crypter *derive(const char *passphrase, const unsigned char *salt, size_t nsalt)
{
    secrets_crypter *c = calloc(1, sizeof *c);
    if (c && PKCS5_PBKDF2_HMAC(passphrase, (int)strlen(passphrase), salt, (int)nsalt, PBKDF2_ITERATIONS,
                               EVP_sha256(), KEY_BYTES, c->key) != 1) {
        free(c);
        c = NULL;
    }
    return c;
}

void secrets_crypter_free(secrets_crypter *c)
{
    if (!c) return;
    OPENSSL_cleanse(c->key, sizeof c->key);
    free(c);
}

int secrets_crypter_new(const char *passphrase, const char *salt_state, secrets_crypter **out, hg_err *err)
{
    *out = NULL;
    /* "v1:<salt>:<v1:nonce:ct>" — the check value is everything after the second colon */
    const char *s = strncmp(salt_state, "v1:", 3) == 0 ? salt_state + 3 : NULL;
    const char *colon = s ? strchr(s, ':') : NULL;
    if (!colon) return hg_err_validation(err, "malformed encryptionsalt (expected \"v1:<salt>:v1:<nonce>:<ciphertext>\")");
    size_t nsalt = 0;
    unsigned char *salt = b64_decode(s, (size_t)(colon - s), &nsalt);
    if (!salt) return hg_err_validation(err, "malformed encryptionsalt: the salt is not valid base64");
    secrets_crypter *c = derive(passphrase, salt, nsalt);
    free(salt);
    if (!c) return hg_err_internal(err, "could not derive a key from the passphrase");
    char *check = NULL;
    hg_err derr = {0};
    if (secrets_decrypt(c, colon + 1, &check, NULL, &derr) < 0 || strcmp(check, "pulumi") != 0) {
        free(check);
        secrets_crypter_free(c);
        return hg_err_set(err, 400, "SecretsError", "%s", INCORRECT);
    }
    free(check);
    *out = c;
    return 0;
}

int secrets_salt_new(const char *passphrase, char **state, secrets_crypter **out, hg_err *err)
{
    *state = NULL; *out = NULL;
    unsigned char salt[SALT_BYTES];
    if (RAND_bytes(salt, sizeof salt) != 1) return hg_err_internal(err, "no random bytes for a salt");
    secrets_crypter *c = derive(passphrase, salt, sizeof salt);
    if (!c) return hg_err_internal(err, "could not derive a key from the passphrase");
    char *check = NULL, *bs = b64_encode(salt, sizeof salt);
    if (!bs || secrets_encrypt(c, "pulumi", 6, &check, err) < 0 || asprintf(state, "v1:%s:%s", bs, check) < 0) {
        *state = NULL;
        free(bs); free(check);
        secrets_crypter_free(c);
        return hg_err_isset(err) ? -1 : hg_err_internal(err, "out of memory");
    }
    free(bs); free(check);
    *out = c;
    return 0;
}

/* ---- the passphrase ------------------------------------------------------------------ */

static char *trim_dup(const char *s, size_t n)
{
    while (n && strchr(" \t\r\n", s[0])) { s++; n--; }
    while (n && strchr(" \t\r\n", s[n - 1])) n--;
    return strndup(s, n);
}

/* One line from the terminal without echo. New string or NULL. */
static char *prompt_no_echo(const char *prompt)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return NULL;
    struct termios old, quiet;
    bool restore = tcgetattr(fileno(tty), &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    }
    fprintf(tty, "%s: ", prompt);
    fflush(tty);
    char buf[MAX_PASSPHRASE];
    char *got = fgets(buf, sizeof buf, tty);
    if (restore) tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputc('\n', tty);
    fclose(tty);
    return got ? trim_dup(buf, strlen(buf)) : NULL;
}

int secrets_passphrase(bool confirm, char **out, hg_err *err)
{
    *out = NULL;
    const char *env = getenv("PULUMI_CONFIG_PASSPHRASE");
    if (env) return (*out = strdup(env)) ? 0 : hg_err_internal(err, "out of memory");
    const char *file = getenv("PULUMI_CONFIG_PASSPHRASE_FILE");
    if (file && *file) {
        FILE *f = fopen(file, "r");
        if (!f) return hg_err_set(err, 400, "SecretsError", "unable to read PULUMI_CONFIG_PASSPHRASE_FILE %s: %s",
                                  file, strerror(errno));
        char buf[MAX_PASSPHRASE];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (n == sizeof buf)
            return hg_err_validation(err, "PULUMI_CONFIG_PASSPHRASE_FILE %s is too large for a passphrase", file);
        return (*out = trim_dup(buf, n)) ? 0 : hg_err_internal(err, "out of memory");
    }
    if (!isatty(STDIN_FILENO))
        return hg_err_set(err, 400, "SecretsError", "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                                                    "PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
    for (;;) {
        char *first = prompt_no_echo(confirm ? "Enter your passphrase to protect config/secrets"
                                             : "Enter your passphrase to unlock config/secrets\n"
                                               "    (set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE "
                                               "to remember)");
        if (!first) return hg_err_set(err, 400, "SecretsError", "no passphrase read from the terminal");
        if (!confirm) { *out = first; return 0; }
        char *second = prompt_no_echo("Re-enter your passphrase to confirm");
        if (second && !strcmp(first, second)) { free(second); *out = first; return 0; }
        free(first);
        free(second);
        fputs("error: passphrases do not match\n", stderr);
    }
}

/* ---- the cache and the registry (invariant 2) ---------------------------------------- */

typedef struct cache_entry {
    char *salt_state;
    secrets_crypter *crypter;
    struct cache_entry *next;
} cache_entry;

typedef struct reg_entry {
    char *project, *stack, *file;
    struct reg_entry *next;
} reg_entry;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static cache_entry *cache;
static reg_entry *registry;

static const secrets_crypter *cache_find(const char *salt_state)
{
    for (cache_entry *e = cache; e; e = e->next)
        if (!strcmp(e->salt_state, salt_state)) return e->crypter;
    return NULL;
}

/* Takes ownership of c. Caller holds mu. */
static const secrets_crypter *cache_add(const char *salt_state, secrets_crypter *c)
{
    cache_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->salt_state = strdup(salt_state))) { free(e); secrets_crypter_free(c); return NULL; }
    e->crypter = c;
    e->next = cache;
    cache = e;
    return c;
}

/* Caller holds mu: the passphrase is asked once even when stacks race. */
static int for_salt_locked(const char *salt_state, const secrets_crypter **out, hg_err *err)
{
    if ((*out = cache_find(salt_state))) return 0;
    char *phrase = NULL;
    if (secrets_passphrase(false, &phrase, err) < 0) return -1;
    secrets_crypter *c = NULL;
    int rc = secrets_crypter_new(phrase, salt_state, &c, err);
    OPENSSL_cleanse(phrase, strlen(phrase));
    free(phrase);
    if (rc < 0) return -1;
    return (*out = cache_add(salt_state, c)) ? 0 : hg_err_internal(err, "out of memory");
}

int secrets_for_salt(const char *salt_state, const secrets_crypter **out, hg_err *err)
{
    pthread_mutex_lock(&mu);
    int rc = for_salt_locked(salt_state, out, err);
    pthread_mutex_unlock(&mu);
    return rc;
}

/* The text of a file (new), NULL if it cannot be read. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nb = cap < MAX_VALUE ? realloc(buf, cap * 2 + 1) : NULL;
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[len] = '\0';
    if (n) *n = len;
    return buf;
}

char *secrets_file_salt(const char *stack_file)
{
    char *text = slurp(stack_file, NULL);
    if (!text) return NULL;
    char *found = NULL;
    /* a top-level "encryptionsalt:" line; the value may be quoted */
    for (char *line = text; line && *line && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "encryptionsalt:", 15) != 0) continue;
        char *v = line + 15, *end = strchr(v, '\n');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        while (n && (*v == ' ' || *v == '\t')) { v++; n--; }
        while (n && strchr(" \t\r", v[n - 1])) n--;
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) { v++; n -= 2; }
        if (n) found = strndup(v, n);
    }
    free(text);
    return found;
}

/* Put "encryptionsalt: <state>" at the top of the stack file. */
static int write_salt(const char *stack_file, const char *state, hg_err *err)
{
    size_t n = 0;
    char *old = slurp(stack_file, &n), tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", stack_file) >= (int)sizeof tmp) {
        free(old);
        return hg_err_validation(err, "stack file path too long: %s", stack_file);
    }
    FILE *f = fopen(tmp, "w");
    if (!f) { free(old); return hg_err_set(err, 500, "SecretsError", "cannot write %s: %s", tmp, strerror(errno)); }
    fprintf(f, "encryptionsalt: %s\n", state);
    if (old) fwrite(old, 1, n, f);
    free(old);
    if (fclose(f) != 0 || rename(tmp, stack_file) != 0) {
        unlink(tmp);
        return hg_err_set(err, 500, "SecretsError", "cannot write %s: %s", stack_file, strerror(errno));
    }
    return 0;
}

int secrets_for_stack_file(const char *stack_file, bool create, const secrets_crypter **out, char **salt_state,
                           hg_err *err)
{
    *out = NULL;
    if (salt_state) *salt_state = NULL;
    pthread_mutex_lock(&mu);
    int rc = -1;
    char *state = secrets_file_salt(stack_file);
    if (state) {
        rc = for_salt_locked(state, out, err);
        if (rc < 0 && !strcmp(err->code, "SecretsError") && !strstr(err->message, stack_file)) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err->message);
            hg_err_clear(err);
            hg_err_set(err, 400, "SecretsError", "%s: %s", stack_file, msg);
        }
    } else if (!create) {
        hg_err_set(err, 400, "SecretsError", "%s has no encryptionsalt, so its secure values cannot be decrypted",
                   stack_file);
    } else {
        char *phrase = NULL;
        secrets_crypter *c = NULL;
        if (secrets_passphrase(true, &phrase, err) == 0 && secrets_salt_new(phrase, &state, &c, err) == 0 &&
            write_salt(stack_file, state, err) == 0) {
            *out = cache_add(state, c);
            c = NULL;
            rc = *out ? 0 : hg_err_internal(err, "out of memory");
        }
        secrets_crypter_free(c);
        if (phrase) OPENSSL_cleanse(phrase, strlen(phrase));
        free(phrase);
    }
    pthread_mutex_unlock(&mu);
    if (rc == 0 && salt_state) *salt_state = state;
    else free(state);
    return rc;
}

void secrets_register_stack(const char *project, const char *stack, const char *stack_file)
{
    pthread_mutex_lock(&mu);
    reg_entry *e;
    for (e = registry; e; e = e->next)
        if (!strcmp(e->project, project) && !strcmp(e->stack, stack)) break;
    if (e) {
        char *f = strdup(stack_file);
        if (f) { free(e->file); e->file = f; }
    } else if ((e = calloc(1, sizeof *e))) {
        e->project = strdup(project);
        e->stack = strdup(stack);
        e->file = strdup(stack_file);
        if (e->project && e->stack && e->file) {
            e->next = registry;
            registry = e;
        } else {
            free(e->project); free(e->stack); free(e->file); free(e);
        }
    }
    pthread_mutex_unlock(&mu);
}

char *secrets_registered_file(const char *project, const char *stack)
{
    char *f = NULL;
    pthread_mutex_lock(&mu);
    for (reg_entry *e = registry; e; e = e->next)
        if (!strcmp(e->project, project) && !strcmp(e->stack, stack)) { f = strdup(e->file); break; }
    pthread_mutex_unlock(&mu);
    return f;
}

void secrets_reset(void)
{
    pthread_mutex_lock(&mu);
    while (cache) {
        cache_entry *e = cache;
        cache = e->next;
        free(e->salt_state);
        secrets_crypter_free(e->crypter);
        free(e);
    }
    while (registry) {
        reg_entry *e = registry;
        registry = e->next;
        free(e->project); free(e->stack); free(e->file); free(e);
    }
    pthread_mutex_unlock(&mu);
}

/* ---- checkpoint values ------------------------------------------------------------------ */

static bool is_secret(const cJSON *v) { return prog_is_sig(v, PROG_SIG_SECRET); }

bool secrets_has_plain(const cJSON *v)
{
    if (is_secret(v) && cJSON_GetObjectItemCaseSensitive(v, "value")) return true;
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (const cJSON *c = v->child; c; c = c->next)
            if (secrets_has_plain(c)) return true;
    return false;
}

bool secrets_has_sealed(const cJSON *v)
{
    if (is_secret(v) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(v, "ciphertext"))) return true;
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (const cJSON *c = v->child; c; c = c->next)
            if (secrets_has_sealed(c)) return true;
    return false;
}

int secrets_seal(const secrets_crypter *c, cJSON *v, hg_err *err)
{
    if (is_secret(v)) {
        cJSON *inner = cJSON_GetObjectItemCaseSensitive(v, "value");
        if (!inner) return 0;   /* already sealed */
        /* the inner value goes in plain: one layer of encryption covers it */
        cJSON *copy = cJSON_Duplicate(inner, 1);
        char *json = copy ? cJSON_PrintUnformatted(copy) : NULL, *ct = NULL;
        cJSON_Delete(copy);
        if (!json) return hg_err_internal(err, "out of memory");
        int rc = secrets_encrypt(c, json, strlen(json), &ct, err);
        OPENSSL_cleanse(json, strlen(json));
        free(json);
        if (rc < 0) return -1;
        cJSON_DeleteItemFromObjectCaseSensitive(v, "value");
        cJSON_AddStringToObject(v, "ciphertext", ct);
        free(ct);
        return 0;
    }
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (cJSON *ch = v->child; ch; ch = ch->next)
            if (secrets_seal(c, ch, err) < 0) return -1;
    return 0;
}

int secrets_unseal(const secrets_crypter *c, cJSON *v, hg_err *err)
{
    if (is_secret(v)) {
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(v, "ciphertext");
        if (!cJSON_IsString(ct)) return 0;
        char *plain = NULL;
        if (secrets_decrypt(c, ct->valuestring, &plain, NULL, err) < 0) return -1;
        cJSON *inner = cJSON_Parse(plain);
        OPENSSL_cleanse(plain, strlen(plain));
        free(plain);
        if (!inner) return hg_err_validation(err, "a decrypted secret is not JSON");
        cJSON_DeleteItemFromObjectCaseSensitive(v, "ciphertext");
        cJSON_AddItemToObject(v, "value", inner);
        return 0;
    }
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (cJSON *ch = v->child; ch; ch = ch->next)
            if (secrets_unseal(c, ch, err) < 0) return -1;
    return 0;
}

void secrets_blind(cJSON *v)
{
    if (!v) return;
    for (cJSON *ch = v->child; ch; ch = ch->next) {
        if (is_secret(ch)) {
            cJSON *s = cJSON_CreateString("[secret]");
            /* ReplaceItemViaPointer keeps no key: give the new item its own */
            if (s && ch->string && !(s->string = strdup(ch->string))) { cJSON_Delete(s); continue; }
            if (!s || !cJSON_ReplaceItemViaPointer(v, ch, s)) { cJSON_Delete(s); continue; }
            ch = s;
        } else {
            secrets_blind(ch);
        }
    }
}

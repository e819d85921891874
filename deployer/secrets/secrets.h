/*
 * secrets.h — Pulumi's passphrase secrets provider, byte-compatible.
 *
 * Formats (as pkg/secrets/passphrase and sdk/go/common/resource/config/crypt.go
 * in pulumi/pulumi write them):
 *   Pulumi.<stack>.yaml   encryptionsalt: v1:<b64 8-byte salt>:v1:<b64 nonce>:<b64 AES-GCM("pulumi")>
 *   a secure config value secure: v1:<b64 12-byte nonce>:<b64 ciphertext with the 16-byte tag appended>
 *   a secret in state     {"4dabf1…":"1b4706…","ciphertext":"v1:…"}, the ciphertext
 *                         being the encryption of the value's JSON text.
 *   key = PBKDF2-HMAC-SHA256(passphrase, salt, 1,000,000 iterations, 32 bytes).
 *
 * The passphrase comes from PULUMI_CONFIG_PASSPHRASE (set, even empty), else
 * the file named by PULUMI_CONFIG_PASSPHRASE_FILE, else an echo-less prompt
 * on the terminal; without one, an error names both variables.
 *
 * Invariants:
 *   1. A crypter is made only after the salt's "pulumi" check decrypts, so a
 *      wrong passphrase fails at once with a clear error, never later as
 *      garbage.
 *   2. Crypters are cached per salt for the life of the process (deriving a
 *      key costs a million HMACs); the cache and the stack registry are
 *      guarded by one mutex so --all's parallel stacks share them.
 * Ownership: crypters from secrets_for_* are the cache's (never free them);
 * secrets_crypter_new's is the caller's (secrets_crypter_free). Strings
 * returned through char ** are new (free).
 */
#ifndef HG_SECRETS_H
#define HG_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "hg_error.h"

typedef struct secrets_crypter secrets_crypter;

/* ---- the crypter ---------------------------------------------------------- */

/* A crypter for an explicit passphrase and encryptionsalt state (the whole
 * "v1:salt:v1:nonce:ct" text); wrong passphrase -> error (invariant 1). */
int  secrets_crypter_new(const char *passphrase, const char *salt_state, secrets_crypter **out, hg_err *err);
/* A fresh salt state for passphrase, as `pulumi stack init` makes; *state new. */
int  secrets_salt_new(const char *passphrase, char **state, secrets_crypter **out, hg_err *err);
void secrets_crypter_free(secrets_crypter *c);

/* "v1:<nonce>:<ciphertext>" of n bytes of plaintext (new string). */
int  secrets_encrypt(const secrets_crypter *c, const char *plain, size_t n, char **out, hg_err *err);
/* Plaintext of a "v1:..." value (new, NUL-terminated; *n its length, may be NULL). */
int  secrets_decrypt(const secrets_crypter *c, const char *text, char **out, size_t *n, hg_err *err);

/* ---- passphrase and stack files -------------------------------------------- */

/* The passphrase (env, file, prompt); new string. */
int  secrets_passphrase(bool confirm, char **out, hg_err *err);
/* The cached crypter for a salt state, asking for the passphrase once. */
int  secrets_for_salt(const char *salt_state, const secrets_crypter **out, hg_err *err);
/* The encryptionsalt in a stack file (new string), or NULL when it has none
 * (or the file does not exist). */
char *secrets_file_salt(const char *stack_file);
/* The crypter of a stack file; without an encryptionsalt, create makes one
 * and writes it at the top of the file (creating the file), as Pulumi does
 * on first use. *salt_state (may be NULL) gets the salt state (new). */
int  secrets_for_stack_file(const char *stack_file, bool create, const secrets_crypter **out, char **salt_state,
                            hg_err *err);

/* Which stack file belongs to project/stack in this process (registered by
 * the program loader), so state can find the salt to encrypt with. */
void  secrets_register_stack(const char *project, const char *stack, const char *stack_file);
char *secrets_registered_file(const char *project, const char *stack);   /* new or NULL */

/* Drop every cached crypter and registration (tests). */
void secrets_reset(void);

/* ---- checkpoint values -------------------------------------------------------- */

/* Is there a plaintext secret ({sig, value}) / an encrypted one ({sig, ciphertext}) in v? */
bool secrets_has_plain(const cJSON *v);
bool secrets_has_sealed(const cJSON *v);
/* In place: every {sig, value: V} becomes {sig, ciphertext: enc(JSON(V))}. */
int  secrets_seal(const secrets_crypter *c, cJSON *v, hg_err *err);
/* In place: every {sig, ciphertext} becomes {sig, value: V}. */
int  secrets_unseal(const secrets_crypter *c, cJSON *v, hg_err *err);
/* In place: every secret (either form) becomes the string "[secret]". */
void secrets_blind(cJSON *v);

#endif

/*
 * test_dp_secrets.c — the passphrase secrets provider against values real
 * Pulumi produced, plus round trips and the failures a user can hit.
 *
 * The vector is the encryption state in pulumi/pulumi's
 * pkg/secrets/passphrase/manager_test.go: made by Pulumi with the passphrase
 * "password"; its check value is "pulumi" encrypted exactly as a
 * `secure: v1:...` config value is, so decrypting it proves the key
 * derivation, the base64 layout and the GCM nonce/tag handling all match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "program.h"
#include "secrets.h"
#include "valgrind_budget.h"

static const char PULUMI_STATE[] = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";
static const char PULUMI_CHECK[] = "v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";
static const char BROKEN_STATE[] = "fozI5u6B030=:v1:F+6ZduL:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==";

/* One derivation costs a million HMACs (seconds under ASan): share it. */
static secrets_crypter *pulumi_crypter;

static int setup(void **state)
{
    (void)state;
    hg_err err = {0};
    return secrets_crypter_new("password", PULUMI_STATE, &pulumi_crypter, &err);
}

static int teardown(void **state)
{
    (void)state;
    secrets_crypter_free(pulumi_crypter);
    secrets_reset();
    return 0;
}

static void test_pulumi_vector_decrypts(void **state)
{
    (void)state;
    assert_non_null(pulumi_crypter);
    hg_err err = {0};
    char *plain = NULL;
    size_t n = 0;
    assert_int_equal(secrets_decrypt(pulumi_crypter, PULUMI_CHECK, &plain, &n, &err), 0);
    assert_string_equal(plain, "pulumi");
    assert_int_equal(n, 6);
    free(plain);
}

static void test_wrong_passphrase_is_a_clear_error(void **state)
{
    (void)state;
    if (under_valgrind()) {
        /* scripts/valgrind-unit.sh: one more derivation is a minute there, and
         * the same failure path (secrets_crypter_new refusing the check value)
         * runs under valgrind in test_stack_file_gets_a_salt_once */
        print_message("skipped under valgrind: a 1M-iteration PBKDF2 costs about a minute there; "
                      "test_stack_file_gets_a_salt_once covers this path\n");
        skip();
    }
    hg_err err = {0};
    secrets_crypter *c = NULL;
    assert_int_equal(secrets_crypter_new("password123", PULUMI_STATE, &c, &err), -1);
    assert_null(c);
    assert_non_null(strstr(err.message, "incorrect passphrase"));
    assert_non_null(strstr(err.message, "PULUMI_CONFIG_PASSPHRASE"));
}

static void test_broken_state_is_refused(void **state)
{
    (void)state;
    hg_err err = {0};
    secrets_crypter *c = NULL;
    assert_int_equal(secrets_crypter_new("password", BROKEN_STATE, &c, &err), -1);
    assert_null(c);
    assert_non_null(strstr(err.message, "malformed encryptionsalt"));
}

static void test_round_trip_and_format(void **state)
{
    (void)state;
    const char *values[] = { "", "s3cr3t", "with: colon and \"quotes\"\n", "ünïcødé ✓" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        hg_err err = {0};
        char *ct = NULL, *back = NULL;
        assert_int_equal(secrets_encrypt(pulumi_crypter, values[i], strlen(values[i]), &ct, &err), 0);
        /* v1:<16 base64 chars = 12-byte nonce>:<base64 of plaintext + 16-byte tag> */
        assert_memory_equal(ct, "v1:", 3);
        assert_int_equal(strchr(ct + 3, ':') - (ct + 3), 16);
        size_t ctlen = strlen(strchr(ct + 3, ':') + 1);
        assert_int_equal(ctlen, 4 * ((strlen(values[i]) + 16 + 2) / 3));
        assert_null(strstr(ct, values[i][0] ? values[i] : "\x01"));
        assert_int_equal(secrets_decrypt(pulumi_crypter, ct, &back, NULL, &err), 0);
        assert_string_equal(back, values[i]);
        free(ct);
        free(back);
    }
    /* two encryptions of one value differ (fresh nonce each time) */
    hg_err err = {0};
    char *a = NULL, *b = NULL;
    secrets_encrypt(pulumi_crypter, "x", 1, &a, &err);
    secrets_encrypt(pulumi_crypter, "x", 1, &b, &err);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

static void test_tampered_or_malformed_values_fail(void **state)
{
    (void)state;
    hg_err err = {0};
    char *ct = NULL, *back = NULL;
    assert_int_equal(secrets_encrypt(pulumi_crypter, "hello world", 11, &ct, &err), 0);
    char *last = ct + strlen(ct) - 3;        /* inside the tag */
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(secrets_decrypt(pulumi_crypter, ct, &back, NULL, &err), -1);
    assert_null(back);
    assert_non_null(strstr(err.message, "failed to decrypt"));
    free(ct);
    const char *bad[] = { "v2:AAAA:AAAA", "v1:nope", "v1:F+6ZduKKd8G0/V7L:***", "v1:AAAA:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
                          "v1:F+6ZduKKd8G0/V7L:AAAA", "b64:aGk=" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hg_err e = {0};
        char *out = NULL;
        assert_int_equal(secrets_decrypt(pulumi_crypter, bad[i], &out, NULL, &e), -1);
        assert_null(out);
        assert_true(e.message[0] != '\0');
    }
}

static void test_new_salt_round_trips(void **state)
{
    (void)state;
    hg_err err = {0};
    char *st = NULL;
    secrets_crypter *made = NULL, *again = NULL;
    assert_int_equal(secrets_salt_new("correct horse", &st, &made, &err), 0);
    /* v1:<12 base64 chars = 8-byte salt>:v1:<nonce>:<ciphertext> */
    assert_memory_equal(st, "v1:", 3);
    assert_int_equal(strchr(st + 3, ':') - (st + 3), 12);
    assert_memory_equal(strchr(st + 3, ':') + 1, "v1:", 3);
    /* (a wrong passphrase on a fresh salt fails in test_stack_file_gets_a_salt_once:
     * every try costs a million HMACs, so it is not repeated here) */
    hg_err e2 = {0};
    assert_int_equal(secrets_crypter_new("correct horse", st, &again, &e2), 0);
    char *ct = NULL, *back = NULL;
    assert_int_equal(secrets_encrypt(made, "shared", 6, &ct, &e2), 0);
    assert_int_equal(secrets_decrypt(again, ct, &back, NULL, &e2), 0);
    assert_string_equal(back, "shared");
    free(ct); free(back); free(st);
    secrets_crypter_free(made);
    secrets_crypter_free(again);
}

static void test_seal_unseal_checkpoint_values(void **state)
{
    (void)state;
    cJSON *v = cJSON_Parse("{\"plain\":1,\"env\":{\"vars\":{\"PW\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_SECRET
                           "\",\"value\":\"hunter2\"}}},\"list\":[{\"" PROG_SIG_KEY "\":\"" PROG_SIG_SECRET
                           "\",\"value\":{\"a\":[1,2]}}]}");
    cJSON *orig = cJSON_Duplicate(v, 1);
    hg_err err = {0};
    assert_true(secrets_has_plain(v));
    assert_false(secrets_has_sealed(v));
    assert_int_equal(secrets_seal(pulumi_crypter, v, &err), 0);
    char *text = cJSON_PrintUnformatted(v);
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "\"ciphertext\":\"v1:"));
    free(text);
    assert_false(secrets_has_plain(v));
    assert_true(secrets_has_sealed(v));
    /* the ciphertext is the value's JSON text, as Pulumi's checkpoint keeps it */
    const cJSON *pw = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "env"), "vars"), "PW");
    char *inner = NULL;
    assert_int_equal(secrets_decrypt(pulumi_crypter, cJSON_GetObjectItem(pw, "ciphertext")->valuestring, &inner,
                                     NULL, &err), 0);
    assert_string_equal(inner, "\"hunter2\"");
    free(inner);
    assert_int_equal(secrets_unseal(pulumi_crypter, v, &err), 0);
    assert_true(cJSON_Compare(v, orig, 1));
    secrets_blind(v);
    text = cJSON_PrintUnformatted(v);
    assert_string_equal(text, "{\"plain\":1,\"env\":{\"vars\":{\"PW\":\"[secret]\"}},\"list\":[\"[secret]\"]}");
    free(text);
    cJSON_Delete(v);
    cJSON_Delete(orig);
}

static void test_passphrase_sources(void **state)
{
    (void)state;
    hg_err err = {0};
    char *p = NULL;
    setenv("PULUMI_CONFIG_PASSPHRASE", "", 1);           /* set but empty is a passphrase, as in Pulumi */
    assert_int_equal(secrets_passphrase(false, &p, &err), 0);
    assert_string_equal(p, "");
    free(p);
    unsetenv("PULUMI_CONFIG_PASSPHRASE");
    char path[] = "/tmp/hg-passphrase-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "  from a file\n", 14), 14);
    close(fd);
    setenv("PULUMI_CONFIG_PASSPHRASE_FILE", path, 1);
    assert_int_equal(secrets_passphrase(false, &p, &err), 0);
    assert_string_equal(p, "from a file");
    free(p);
    unlink(path);
    assert_int_equal(secrets_passphrase(false, &p, &err), -1);   /* the file is gone */
    assert_non_null(strstr(err.message, "PULUMI_CONFIG_PASSPHRASE_FILE"));
    unsetenv("PULUMI_CONFIG_PASSPHRASE_FILE");
    if (!isatty(STDIN_FILENO)) {
        hg_err e2 = {0};
        assert_int_equal(secrets_passphrase(false, &p, &e2), -1);
        assert_string_equal(e2.message, "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or "
                                        "PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
    }
}

static void test_stack_file_gets_a_salt_once(void **state)
{
    (void)state;
    char dir[] = "/tmp/hg-secrets-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char file[128];
    snprintf(file, sizeof file, "%s/Pulumi.dev.yaml", dir);
    FILE *f = fopen(file, "w");
    fputs("config:\n  proj:x: \"1\"\n", f);
    fclose(f);
    setenv("PULUMI_CONFIG_PASSPHRASE", "pass phrase", 1);
    hg_err err = {0};
    const secrets_crypter *c = NULL;
    char *salt = NULL;
    assert_int_equal(secrets_for_stack_file(file, false, &c, NULL, &err), -1);   /* no salt, not asked to make one */
    assert_non_null(strstr(err.message, "no encryptionsalt"));
    hg_err_clear(&err);
    assert_int_equal(secrets_for_stack_file(file, true, &c, &salt, &err), 0);
    char *read_back = secrets_file_salt(file);
    assert_string_equal(read_back, salt);
    char *ct = NULL, *plain = NULL;
    assert_int_equal(secrets_encrypt(c, "v", 1, &ct, &err), 0);
    /* the rest of the file is kept below the salt */
    f = fopen(file, "r");
    char buf[512] = {0};
    assert_true(fread(buf, 1, sizeof buf - 1, f) > 0);
    fclose(f);
    assert_memory_equal(buf, "encryptionsalt: v1:", 19);
    assert_non_null(strstr(buf, "\nconfig:\n  proj:x: \"1\"\n"));
    /* same salt again: the cached crypter, no second salt */
    const secrets_crypter *c2 = NULL;
    char *salt2 = NULL;
    assert_int_equal(secrets_for_stack_file(file, true, &c2, &salt2, &err), 0);
    assert_ptr_equal(c, c2);
    assert_string_equal(salt, salt2);
    /* a wrong passphrase on a fresh cache fails naming the file */
    secrets_reset();
    setenv("PULUMI_CONFIG_PASSPHRASE", "not it", 1);
    assert_int_equal(secrets_for_stack_file(file, false, &c2, NULL, &err), -1);
    assert_non_null(strstr(err.message, file));
    assert_non_null(strstr(err.message, "incorrect passphrase"));
    unsetenv("PULUMI_CONFIG_PASSPHRASE");
    free(ct); free(plain); free(salt); free(salt2); free(read_back);
    unlink(file);
    rmdir(dir);
}

static void test_registry(void **state)
{
    (void)state;
    secrets_register_stack("proj", "dev", "/a/Pulumi.dev.yaml");
    secrets_register_stack("proj", "dev", "/b/Pulumi.dev.yaml");
    char *f = secrets_registered_file("proj", "dev");
    assert_string_equal(f, "/b/Pulumi.dev.yaml");
    free(f);
    assert_null(secrets_registered_file("proj", "prod"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pulumi_vector_decrypts),
        cmocka_unit_test(test_wrong_passphrase_is_a_clear_error),
        cmocka_unit_test(test_broken_state_is_refused),
        cmocka_unit_test(test_round_trip_and_format),
        cmocka_unit_test(test_tampered_or_malformed_values_fail),
        cmocka_unit_test(test_new_salt_round_trips),
        cmocka_unit_test(test_seal_unseal_checkpoint_values),
        cmocka_unit_test(test_passphrase_sources),
        cmocka_unit_test(test_stack_file_gets_a_salt_once),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

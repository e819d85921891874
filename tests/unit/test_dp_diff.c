/* Unit tests for the engine's differ (deployer/engine/diff.c): same / update /
 * replace decisions, PROP_REPLACE properties, ignoreChanges and
 * replaceOnChanges paths, unknowns, and property paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "eng_internal.h"

static const prov_prop PROPS[] = {
    { "attributes", PROP_REQUIRED }, { "billingMode", 0 }, { "hashKey", PROP_REQUIRED | PROP_REPLACE },
    { "name", PROP_REPLACE }, { "tags", 0 }, { NULL, 0 },
};

static eng_op diff(const char *olds_text, const char *news_text, char **ign, int nign, char **rep, int nrep,
                   eng_diff *d, cJSON **news_out)
{
    cJSON *olds = olds_text ? cJSON_Parse(olds_text) : NULL;
    cJSON *news = cJSON_Parse(news_text);
    assert_non_null(news);
    hg_err err = {0};
    assert_int_equal(eng_diff_compute(olds, news, PROPS, ign, nign, rep, nrep, d, &err), 0);
    cJSON_Delete(olds);
    if (news_out) *news_out = news;
    else cJSON_Delete(news);
    return d->op;
}

static bool has(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) if (!strcmp(e->valuestring, s)) return true;
    return false;
}

static void test_create_when_no_olds(void **state)
{
    (void)state;
    eng_diff d;
    assert_int_equal(diff(NULL, "{\"hashKey\":\"id\"}", NULL, 0, NULL, 0, &d, NULL), OP_CREATE);
    eng_diff_release(&d);
}

static void test_same_ignores_member_order(void **state)
{
    (void)state;
    eng_diff d;
    assert_int_equal(diff("{\"hashKey\":\"id\",\"tags\":{\"a\":\"1\",\"b\":\"2\"}}",
                          "{\"tags\":{\"b\":\"2\",\"a\":\"1\"},\"hashKey\":\"id\"}", NULL, 0, NULL, 0, &d, NULL),
                     OP_SAME);
    assert_null(d.changed);
    eng_diff_release(&d);
}

static void test_update_names_the_property(void **state)
{
    (void)state;
    eng_diff d;
    assert_int_equal(diff("{\"hashKey\":\"id\",\"billingMode\":\"PROVISIONED\"}",
                          "{\"hashKey\":\"id\",\"billingMode\":\"PAY_PER_REQUEST\"}", NULL, 0, NULL, 0, &d, NULL),
                     OP_UPDATE);
    assert_int_equal(cJSON_GetArraySize(d.changed), 1);
    assert_true(has(d.changed, "billingMode"));
    assert_null(d.replace_by);
    eng_diff_release(&d);
}

static void test_removed_property_is_a_change(void **state)
{
    (void)state;
    eng_diff d;
    assert_int_equal(diff("{\"hashKey\":\"id\",\"tags\":{\"a\":\"1\"}}", "{\"hashKey\":\"id\"}", NULL, 0, NULL, 0,
                          &d, NULL), OP_UPDATE);
    assert_true(has(d.changed, "tags"));
    eng_diff_release(&d);
}

static void test_replace_property_forces_replacement(void **state)
{
    (void)state;
    eng_diff d;
    assert_int_equal(diff("{\"hashKey\":\"id\",\"billingMode\":\"A\"}", "{\"hashKey\":\"pk\",\"billingMode\":\"B\"}",
                          NULL, 0, NULL, 0, &d, NULL), OP_REPLACE);
    assert_true(has(d.replace_by, "hashKey"));
    assert_false(has(d.replace_by, "billingMode"));
    assert_true(has(d.changed, "billingMode"));
    eng_diff_release(&d);
}

static void test_unknown_counts_as_changed(void **state)
{
    (void)state;
    eng_diff d;
    char news[200];
    snprintf(news, sizeof news, "{\"hashKey\":\"id\",\"tags\":{\"t\":\"%s\"}}", PROG_UNKNOWN);
    assert_int_equal(diff("{\"hashKey\":\"id\",\"tags\":{\"t\":\"x\"}}", news, NULL, 0, NULL, 0, &d, NULL), OP_UPDATE);
    eng_diff_release(&d);
    snprintf(news, sizeof news, "{\"hashKey\":\"%s\"}", PROG_UNKNOWN);
    assert_int_equal(diff("{\"hashKey\":\"id\"}", news, NULL, 0, NULL, 0, &d, NULL), OP_REPLACE);
    eng_diff_release(&d);
}

static void test_ignore_changes_keeps_old_values(void **state)
{
    (void)state;
    eng_diff d;
    cJSON *news;
    char *ign[] = { "billingMode", "tags.owner" };
    assert_int_equal(diff("{\"hashKey\":\"id\",\"billingMode\":\"A\",\"tags\":{\"owner\":\"me\",\"env\":\"dev\"}}",
                          "{\"hashKey\":\"id\",\"billingMode\":\"B\",\"tags\":{\"owner\":\"you\",\"env\":\"dev\"}}",
                          ign, 2, NULL, 0, &d, &news), OP_SAME);
    assert_string_equal(cJSON_GetObjectItem(news, "billingMode")->valuestring, "A");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(news, "tags"), "owner")->valuestring, "me");
    cJSON_Delete(news);
    eng_diff_release(&d);
    /* an ignored property absent before disappears from the new inputs */
    assert_int_equal(diff("{\"hashKey\":\"id\"}", "{\"hashKey\":\"id\",\"billingMode\":\"B\"}", ign, 1, NULL, 0, &d,
                          &news), OP_SAME);
    assert_null(cJSON_GetObjectItem(news, "billingMode"));
    cJSON_Delete(news);
    eng_diff_release(&d);
    /* ignoring a replace property avoids the replacement */
    char *ign2[] = { "hashKey" };
    assert_int_equal(diff("{\"hashKey\":\"id\"}", "{\"hashKey\":\"pk\"}", ign2, 1, NULL, 0, &d, NULL), OP_SAME);
    eng_diff_release(&d);
    /* "*" ignores everything */
    char *all[] = { "*" };
    assert_int_equal(diff("{\"hashKey\":\"id\",\"tags\":{}}", "{\"hashKey\":\"pk\",\"billingMode\":\"X\"}", all, 1,
                          NULL, 0, &d, NULL), OP_SAME);
    eng_diff_release(&d);
}

static void test_replace_on_changes(void **state)
{
    (void)state;
    eng_diff d;
    char *rep[] = { "tags.env" };
    assert_int_equal(diff("{\"hashKey\":\"id\",\"tags\":{\"env\":\"dev\",\"x\":\"1\"}}",
                          "{\"hashKey\":\"id\",\"tags\":{\"env\":\"dev\",\"x\":\"2\"}}", NULL, 0, rep, 1, &d, NULL),
                     OP_UPDATE);
    eng_diff_release(&d);
    assert_int_equal(diff("{\"hashKey\":\"id\",\"tags\":{\"env\":\"dev\"}}",
                          "{\"hashKey\":\"id\",\"tags\":{\"env\":\"prod\"}}", NULL, 0, rep, 1, &d, NULL), OP_REPLACE);
    assert_true(has(d.replace_by, "tags.env"));
    eng_diff_release(&d);
    char *star[] = { "*" };
    assert_int_equal(diff("{\"billingMode\":\"A\"}", "{\"billingMode\":\"B\"}", NULL, 0, star, 1, &d, NULL),
                     OP_REPLACE);
    eng_diff_release(&d);
    assert_int_equal(diff("{\"billingMode\":\"A\"}", "{\"billingMode\":\"A\"}", NULL, 0, star, 1, &d, NULL), OP_SAME);
    eng_diff_release(&d);
}

static void test_paths(void **state)
{
    (void)state;
    cJSON *v = cJSON_Parse("{\"a\":{\"b\":[{\"c.d\":5}]}}");
    const cJSON *x = eng_path_get(v, "a.b[0][\"c.d\"]");
    assert_non_null(x);
    assert_int_equal(x->valueint, 5);
    assert_null(eng_path_get(v, "a.b[1]"));
    assert_null(eng_path_get(v, "a.z"));
    assert_null(eng_path_get(v, "a[\"b"));
    cJSON_Delete(v);
}

static void test_prop_lookup_and_names(void **state)
{
    (void)state;
    assert_non_null(eng_prop_find(PROPS, "hashKey"));
    assert_null(eng_prop_find(PROPS, "hashkey"));
    assert_string_equal(eng_op_name(OP_REPLACE), "replace");
    assert_string_equal(eng_op_name(OP_SAME), "same");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_when_no_olds),
        cmocka_unit_test(test_same_ignores_member_order),
        cmocka_unit_test(test_update_names_the_property),
        cmocka_unit_test(test_removed_property_is_a_change),
        cmocka_unit_test(test_replace_property_forces_replacement),
        cmocka_unit_test(test_unknown_counts_as_changed),
        cmocka_unit_test(test_ignore_changes_keeps_old_values),
        cmocka_unit_test(test_replace_on_changes),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_prop_lookup_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

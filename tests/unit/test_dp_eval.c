/* Unit tests for the Pulumi YAML evaluator (deployer/program/eval.c): every
 * expression form and built-in, whole-string typing, $$, unknowns in
 * preview, secrets, variables, and positioned errors. Each test writes a
 * small project to a temp folder and evaluates its outputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "program.h"

/* ---- helpers ---------------------------------------------------------------- */

static char *tmpdir_new(void)
{
    char tmpl[] = "/tmp/hg-dp-eval-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    mkdir(path, 0755);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

typedef struct fx {
    char *dir;
    prog_project *p;
    prog_env env;
    cJSON *resources;
} fx;

/* Load a project (Pulumi.yaml text, optional stack file text for "dev"). */
static void fx_load(fx *f, const char *pulumi_yaml, const char *stack_yaml)
{
    memset(f, 0, sizeof *f);
    f->dir = tmpdir_new();
    write_file(f->dir, "Pulumi.yaml", pulumi_yaml);
    if (stack_yaml) write_file(f->dir, "Pulumi.dev.yaml", stack_yaml);
    hg_err err;
    hg_err_clear(&err);
    int rc = prog_load(f->dir, "dev", NULL, &f->p, &err);
    if (rc != 0) fprintf(stderr, "prog_load: %s\n", err.message);
    assert_int_equal(rc, 0);
    f->env.project = f->p;
}

static void fx_free(fx *f)
{
    prog_env_release(&f->env);
    cJSON_Delete(f->resources);
    prog_project_free(f->p);
    rm_rf(f->dir);
    free(f->dir);
}

static void fx_resources(fx *f, const char *json)
{
    cJSON_Delete(f->resources);
    f->resources = cJSON_Parse(json);
    assert_non_null(f->resources);
    f->env.resources = f->resources;
}

/* Evaluate output `name`; returns the value as compact JSON (caller frees),
 * or NULL with *err filled. */
static char *eval_out(fx *f, const char *name, hg_err *err)
{
    const prog_node *n = prog_map_get(f->p->outputs, name);
    assert_non_null(n);
    cJSON *v = NULL;
    hg_err_clear(err);
    if (prog_eval(&f->env, n, &v, err) != 0) return NULL;
    char *s = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    return s;
}

static void expect(fx *f, const char *name, const char *json)
{
    hg_err err;
    char *s = eval_out(f, name, &err);
    if (!s) fprintf(stderr, "output %s: %s\n", name, err.message);
    assert_non_null(s);
    if (strcmp(s, json) != 0) fprintf(stderr, "output %s: got %s, want %s\n", name, s, json);
    assert_string_equal(s, json);
    free(s);
}

static void expect_error(fx *f, const char *name, const char *needle)
{
    hg_err err;
    char *s = eval_out(f, name, &err);
    if (s) fprintf(stderr, "output %s: expected an error, got %s\n", name, s);
    assert_null(s);
    if (!strstr(err.message, needle)) fprintf(stderr, "message: %s\nwanted: %s\n", err.message, needle);
    assert_non_null(strstr(err.message, needle));
}

#define U "\"" PROG_UNKNOWN "\""
#define SECRET(v) "{\"" PROG_SIG_KEY "\":\"" PROG_SIG_SECRET "\",\"value\":" v "}"

/* ---- tests -------------------------------------------------------------------- */

static const char *const EXPR_PROJECT =
    "name: demo\n"
    "runtime: yaml\n"
    "config:\n"
    "  env: {type: string, default: development}\n"
    "  count: {type: integer, default: 3}\n"
    "  password: {type: string, secret: true, default: hunter2}\n"
    "variables:\n"
    "  prefix: app-${env}\n"
    "  names: [a, b, c]\n"
    "  doc: {k: [1, {deep: true}]}\n"
    "  viaTable: ${table.name}-x\n"
    "  tableArn: ${table.arn}\n"
    "resources:\n"
    "  table:\n"
    "    type: aws:dynamodb:Table\n"
    "    properties: {hashKey: id}\n"
    "  core:\n"
    "    type: pulumi:pulumi:StackReference\n"
    "    properties: {name: organization/core/dev}\n"
    "outputs:\n"
    "  plain: hello\n"
    "  num: 42\n"
    "  float: 1.5\n"
    "  boolean: true\n"
    "  nothing: null\n"
    "  quotedNum: \"42\"\n"
    "  interp: ${env}-${count}\n"
    "  whole: ${count}\n"
    "  wholeList: ${names}\n"
    "  escaped: $${env} costs $$5 and $x\n"
    "  region: ${aws:region}\n"
    "  ns: ${demo:env}\n"
    "  stack: ${pulumi.stack}/${pulumi.project}/${pulumi.organization}\n"
    "  var: ${prefix}\n"
    "  index: ${names[1]}\n"
    "  keyed: ${doc[\"k\"][1].deep}\n"
    "  resProp: ${table.name}\n"
    "  resNested: ${table.attributes[0][\"name\"]}\n"
    "  resId: ${table.id}\n"
    "  resUrn: ${table.urn}\n"
    "  refOut: ${core.outputs[\"tableName\"]}\n"
    "  refOutDot: ${core.outputs.tableName}\n"
    "  refMissing: ${core.outputs[\"nope\"]}\n"
    "  viaVar: ${viaTable}\n"
    "  badProp: ${table.nmae}\n"
    "  badIndex: ${names[7]}\n"
    "  notList: ${env[0]}\n"
    "  secretInterp: pw=${password}\n"
    "  secretWhole: ${password}\n"
    "  listWithUnknown: ['${table.arn}', fixed]\n"
    "  interpUnknown: arn=${table.arn}\n"
    "  varUnknown: ${tableArn}\n";

static void eval_scalars_keep_core_schema_types(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, EXPR_PROJECT, "config:\n  aws:region: eu-west-1\n");
    expect(&f, "plain", "\"hello\"");
    expect(&f, "num", "42");
    expect(&f, "float", "1.5");
    expect(&f, "boolean", "true");
    expect(&f, "nothing", "null");
    expect(&f, "quotedNum", "\"42\"");
    fx_free(&f);
}

static void eval_interpolation_and_whole_string_typing(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, EXPR_PROJECT, "config:\n  aws:region: eu-west-1\n  demo:env: staging\n");
    expect(&f, "interp", "\"staging-3\"");
    expect(&f, "whole", "3");                       /* a whole-string ${} keeps its type */
    expect(&f, "wholeList", "[\"a\",\"b\",\"c\"]");
    expect(&f, "escaped", "\"${env} costs $5 and $x\"");
    expect(&f, "region", "\"eu-west-1\"");
    expect(&f, "ns", "\"staging\"");
    expect(&f, "stack", "\"dev/demo/organization\"");
    expect(&f, "var", "\"app-staging\"");
    expect(&f, "index", "\"b\"");
    expect(&f, "keyed", "true");
    f.env.organization = "acme";
    expect(&f, "stack", "\"dev/demo/acme\"");
    fx_free(&f);
}

static void eval_resource_and_stack_reference_outputs(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, EXPR_PROJECT, NULL);
    fx_resources(&f, "{\"table\":{\"id\":\"t-1\",\"name\":\"table-abc1234\",\"arn\":\"arn:t\","
                     "\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}]},"
                     "\"core\":{\"id\":\"organization/core/dev\",\"name\":\"organization/core/dev\","
                     "\"outputs\":{\"tableName\":\"notes-1\"}}}");
    expect(&f, "resProp", "\"table-abc1234\"");
    expect(&f, "resNested", "\"id\"");
    expect(&f, "resId", "\"t-1\"");
    expect(&f, "resUrn", "\"urn:pulumi:dev::demo::aws:dynamodb:Table::table\"");
    expect(&f, "refOut", "\"notes-1\"");
    expect(&f, "refOutDot", "\"notes-1\"");
    expect(&f, "viaVar", "\"table-abc1234-x\"");
    expect_error(&f, "refMissing", "stack reference 'core' (organization/core/dev) has no output 'nope'");
    expect_error(&f, "badProp", "Pulumi.yaml:45:12: resource 'table' has no property 'nmae'");
    expect_error(&f, "badIndex", "index 7 out of range: 'names' has 3 items");
    expect_error(&f, "notList", "'env' is not a list");
    fx_free(&f);
}

static void eval_unknowns_propagate_in_preview(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, EXPR_PROJECT, NULL);
    f.env.preview = true;
    /* nothing created yet: every resource output is unknown */
    expect(&f, "resProp", U);
    expect(&f, "interpUnknown", U);
    expect(&f, "listWithUnknown", "[" U ",\"fixed\"]");
    expect(&f, "varUnknown", U);
    expect(&f, "refOut", U);
    /* a resource known only partly: present values are used, missing ones unknown */
    fx_resources(&f, "{\"table\":{\"name\":\"table-abc1234\",\"arn\":\"" PROG_UNKNOWN "\"}}");
    expect(&f, "resProp", "\"table-abc1234\"");
    expect(&f, "interpUnknown", U);
    expect(&f, "resId", U);
    expect(&f, "viaVar", "\"table-abc1234-x\"");
    /* outside preview a missing resource is an error, not an unknown */
    f.env.preview = false;
    fx_resources(&f, "{}");
    expect_error(&f, "resProp", "resource 'table' is referred to before it exists");
    fx_free(&f);
}

static void eval_secrets_propagate(void **state)
{
    (void)state;
    fx f;
    fx_load(&f, EXPR_PROJECT, NULL);
    expect(&f, "secretWhole", SECRET("\"hunter2\""));
    expect(&f, "secretInterp", SECRET("\"pw=hunter2\""));
    fx_free(&f);
}

static const char *const BUILTIN_PROJECT =
    "name: fns\n"
    "runtime: yaml\n"
    "config:\n"
    "  token: {type: string, secret: true, default: s3cret}\n"
    "resources:\n"
    "  fn:\n"
    "    type: aws:lambda:Function\n"
    "outputs:\n"
    "  join:\n"
    "    fn::join: [',', [a, 1, true]]\n"
    "  joinUnknown:\n"
    "    fn::join: ['-', ['${fn.arn}', b]]\n"
    "  joinSecret:\n"
    "    fn::join: [':', [user, '${token}']]\n"
    "  split:\n"
    "    fn::split: [',', 'a,b,,c']\n"
    "  select:\n"
    "    fn::select: [1, [x, y, z]]\n"
    "  selectSplit:\n"
    "    fn::select:\n"
    "      - 0\n"
    "      - fn::split: ['/', 'org/proj/stack']\n"
    "  selectRange:\n"
    "    fn::select: [5, [x]]\n"
    "  toJSON:\n"
    "    fn::toJSON: {Version: '2012-10-17', n: 1, list: [a], ok: true}\n"
    "  toJSONSecret:\n"
    "    fn::toJSON: {k: '${token}'}\n"
    "  toBase64:\n"
    "    fn::toBase64: hello world\n"
    "  fromBase64:\n"
    "    fn::fromBase64: aGVsbG8gd29ybGQ=\n"
    "  fromBase64Bad:\n"
    "    fn::fromBase64: '!!notbase64'\n"
    "  readFile:\n"
    "    fn::readFile: ./files/policy.json\n"
    "  readMissing:\n"
    "    fn::readFile: nope.txt\n"
    "  fileArchive:\n"
    "    fn::fileArchive: ./code\n"
    "  fileArchiveMissing:\n"
    "    fn::fileArchive: ./nocode\n"
    "  fileAsset:\n"
    "    fn::fileAsset: ./files/policy.json\n"
    "  stringAsset:\n"
    "    fn::stringAsset: print('hi')\n"
    "  assetArchive:\n"
    "    fn::assetArchive:\n"
    "      index.lua:\n"
    "        fn::stringAsset: return 1\n"
    "      lib:\n"
    "        fn::fileArchive: ./code\n"
    "  assetArchiveBad:\n"
    "    fn::assetArchive: {x: notAnAsset}\n"
    "  secret:\n"
    "    fn::secret: plain\n"
    "  secretInList: ['${token}', b]\n"
    "  invokeRegion:\n"
    "    fn::invoke:\n"
    "      function: aws:index/getRegion:getRegion\n"
    "      return: name\n"
    "  invokeAll:\n"
    "    fn::invoke:\n"
    "      function: aws:index:getCallerIdentity\n"
    "      arguments: {}\n"
    "  invokeBadReturn:\n"
    "    fn::invoke:\n"
    "      function: aws:index:getCallerIdentity\n"
    "      return: nope\n"
    "  unknownFn:\n"
    "    fn::frobnicate: 1\n"
    "  fnNotAlone:\n"
    "    fn::join: [',', [a]]\n"
    "    other: 1\n";

static int fake_invoke(void *ud, const char *token, const cJSON *args, cJSON **out, hg_err *err)
{
    int *calls = ud;
    (*calls)++;
    assert_true(cJSON_IsObject(args));
    if (!strcmp(token, "aws:index:getRegion")) {
        *out = cJSON_Parse("{\"name\":\"us-east-1\",\"id\":\"us-east-1\"}");
        return 0;
    }
    if (!strcmp(token, "aws:index:getCallerIdentity")) {
        *out = cJSON_Parse("{\"accountId\":\"000000000000\",\"arn\":\"arn:aws:iam::000000000000:root\"}");
        return 0;
    }
    return hg_err_set(err, 400, "UnknownFunction", "no %s", token);
}

static fx *builtin_fx(fx *f)
{
    char *dir = tmpdir_new();
    /* write the files first, then load from the same folder */
    write_file(dir, "files/policy.json", "{\"a\": 1}\n");
    write_file(dir, "code/main.lua", "return {}\n");
    write_file(dir, "Pulumi.yaml", BUILTIN_PROJECT);
    memset(f, 0, sizeof *f);
    f->dir = dir;
    hg_err err;
    hg_err_clear(&err);
    int rc = prog_load(dir, "dev", NULL, &f->p, &err);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    f->env.project = f->p;
    return f;
}

static void eval_builtins(void **state)
{
    (void)state;
    fx f;
    builtin_fx(&f);
    int calls = 0;
    f.env.invoke = fake_invoke;
    f.env.invoke_ud = &calls;
    expect(&f, "join", "\"a,1,true\"");
    expect(&f, "split", "[\"a\",\"b\",\"\",\"c\"]");
    expect(&f, "select", "\"y\"");
    expect(&f, "selectSplit", "\"org\"");
    expect_error(&f, "selectRange", "fn::select: index 5 out of range");
    expect(&f, "toJSON", "\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"n\\\":1,\\\"list\\\":[\\\"a\\\"],\\\"ok\\\":true}\"");
    expect(&f, "toBase64", "\"aGVsbG8gd29ybGQ=\"");
    expect(&f, "fromBase64", "\"hello world\"");
    expect_error(&f, "fromBase64Bad", "not valid base64");
    expect(&f, "readFile", "\"{\\\"a\\\": 1}\\n\"");
    expect_error(&f, "readMissing", "fn::readFile: 'nope.txt'");
    expect(&f, "fileArchive", "{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ARCHIVE "\",\"path\":\"./code\"}");
    expect_error(&f, "fileArchiveMissing", "fn::fileArchive: './nocode' does not exist");
    expect(&f, "fileAsset", "{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ASSET "\",\"path\":\"./files/policy.json\"}");
    expect(&f, "stringAsset", "{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ASSET "\",\"text\":\"print('hi')\"}");
    expect(&f, "assetArchive",
           "{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ARCHIVE "\",\"assets\":{"
           "\"index.lua\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ASSET "\",\"text\":\"return 1\"},"
           "\"lib\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_ARCHIVE "\",\"path\":\"./code\"}}}");
    expect_error(&f, "assetArchiveBad", "'x' is not an asset or archive");
    expect(&f, "invokeRegion", "\"us-east-1\"");
    expect(&f, "invokeAll", "{\"accountId\":\"000000000000\",\"arn\":\"arn:aws:iam::000000000000:root\"}");
    expect_error(&f, "invokeBadReturn", "has no result field 'nope'");
    assert_int_equal(calls, 3);
    expect_error(&f, "unknownFn", "unknown built-in 'fn::frobnicate'");
    expect_error(&f, "fnNotAlone", "'fn::join' must be the only key in its map");
    f.env.invoke = NULL;
    expect_error(&f, "invokeRegion", "fn::invoke of 'aws:index:getRegion' is not available");
    fx_free(&f);
}

static void eval_builtins_propagate_unknowns_and_secrets(void **state)
{
    (void)state;
    fx f;
    builtin_fx(&f);
    f.env.preview = true;
    expect(&f, "joinUnknown", U);
    expect(&f, "joinSecret", SECRET("\"user:s3cret\""));
    expect(&f, "toJSONSecret", SECRET("\"{\\\"k\\\":\\\"s3cret\\\"}\""));
    expect(&f, "secret", SECRET("\"plain\""));
    expect(&f, "secretInList", "[" SECRET("\"s3cret\"") ",\"b\"]");   /* nested secrets stay put */
    fx_resources(&f, "{\"fn\":{\"arn\":\"arn:fn\"}}");
    f.env.preview = false;
    expect(&f, "joinUnknown", "\"arn:fn-b\"");
    cJSON *v = cJSON_Parse(SECRET("[\"" PROG_UNKNOWN "\"]"));
    assert_true(prog_has_unknown(v));
    assert_true(prog_is_sig(v, PROG_SIG_SECRET));
    assert_false(prog_is_sig(v, PROG_SIG_ASSET));
    cJSON_Delete(v);
    fx_free(&f);
}

static void eval_inputs_and_outputs_sections(void **state)
{
    (void)state;
    fx f;
    fx_load(&f,
            "name: io\n"
            "runtime: yaml\n"
            "resources:\n"
            "  t:\n"
            "    type: aws:dynamodb:Table\n"
            "    properties:\n"
            "      hashKey: id\n"
            "      attributes: [{name: id, type: S}]\n"
            "      tags: {stack: '${pulumi.stack}'}\n"
            "  bare:\n"
            "    type: aws:iam:Role\n"
            "outputs:\n"
            "  name: ${t.name}\n"
            "  fixed: 7\n", NULL);
    hg_err err;
    hg_err_clear(&err);
    cJSON *in = NULL;
    const prog_resource *t = NULL, *bare = NULL;
    for (int i = 0; i < f.p->nresources; i++) {
        if (!strcmp(f.p->resources[i].name, "t")) t = &f.p->resources[i];
        if (!strcmp(f.p->resources[i].name, "bare")) bare = &f.p->resources[i];
    }
    assert_non_null(t);
    assert_non_null(bare);
    assert_int_equal(prog_eval_inputs(&f.env, t, &in, &err), 0);
    char *s = cJSON_PrintUnformatted(in);
    assert_string_equal(s, "{\"hashKey\":\"id\",\"attributes\":[{\"name\":\"id\",\"type\":\"S\"}],\"tags\":{\"stack\":\"dev\"}}");
    free(s);
    cJSON_Delete(in);
    assert_int_equal(prog_eval_inputs(&f.env, bare, &in, &err), 0);
    assert_true(cJSON_IsObject(in) && !in->child);
    cJSON_Delete(in);
    fx_resources(&f, "{\"t\":{\"name\":\"t-1234567\"}}");
    cJSON *outs = NULL;
    assert_int_equal(prog_eval_outputs(&f.env, &outs, &err), 0);
    s = cJSON_PrintUnformatted(outs);
    assert_string_equal(s, "{\"name\":\"t-1234567\",\"fixed\":7}");
    free(s);
    cJSON_Delete(outs);
    fx_free(&f);
}

static void eval_variables_are_lazy_and_cached(void **state)
{
    (void)state;
    fx f;
    fx_load(&f,
            "name: vars\n"
            "runtime: yaml\n"
            "variables:\n"
            "  a: ${b}-a\n"
            "  b: ${c}-b\n"
            "  c: c\n"
            "  broken:\n"
            "    fn::select: [9, [x]]\n"
            "outputs:\n"
            "  a: ${a}\n"
            "  c: ${c}\n", NULL);
    expect(&f, "a", "\"c-b-a\"");
    assert_non_null(f.env.variables);
    /* evaluated once and cached by name */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(f.env.variables, "b"));
    assert_null(cJSON_GetObjectItemCaseSensitive(f.env.variables, "broken"));   /* never needed */
    expect(&f, "c", "\"c\"");
    fx_free(&f);
}

static void eval_reference_syntax_errors_have_positions(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    write_file(dir, "Pulumi.yaml",
               "name: bad\n"
               "runtime: yaml\n"
               "outputs:\n"
               "  x: ${unterminated\n");
    prog_project *p = NULL;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(prog_load(dir, "dev", NULL, &p, &err), -1);
    assert_non_null(strstr(err.message, "Pulumi.yaml:4:6: output 'x': unterminated '${'"));
    write_file(dir, "Pulumi.yaml",
               "name: bad\n"
               "runtime: yaml\n"
               "outputs:\n"
               "  x: a${res[\"k\"}b\n");
    hg_err_clear(&err);
    assert_int_equal(prog_load(dir, "dev", NULL, &p, &err), -1);
    assert_non_null(strstr(err.message, "Pulumi.yaml:4:6: output 'x': "));
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eval_scalars_keep_core_schema_types),
        cmocka_unit_test(eval_interpolation_and_whole_string_typing),
        cmocka_unit_test(eval_resource_and_stack_reference_outputs),
        cmocka_unit_test(eval_unknowns_propagate_in_preview),
        cmocka_unit_test(eval_secrets_propagate),
        cmocka_unit_test(eval_builtins),
        cmocka_unit_test(eval_builtins_propagate_unknowns_and_secrets),
        cmocka_unit_test(eval_inputs_and_outputs_sections),
        cmocka_unit_test(eval_variables_are_lazy_and_cached),
        cmocka_unit_test(eval_reference_syntax_errors_have_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

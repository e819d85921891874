/* Unit tests for Pulumi YAML project loading (deployer/program/yaml.c,
 * project.c, graph.c): YAML positions and errors, runtimes, Main.yaml,
 * config resolution, resource options, dependencies, order, cycles, unknown
 * types and references, and stack reference names. Each test writes a small
 * project folder under /tmp and loads it. */
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

static const char *const TYPES[] = {
    "aws:apigateway:RestApi", "aws:dynamodb:Table", "aws:iam:Role", "aws:lambda:Function", NULL,
};

static char *tmpdir_new(void)
{
    char tmpl[] = "/tmp/hg-dp-prog-XXXXXX";
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

/* Load from a relative folder name so messages read "<rel>/Pulumi.yaml:L:C". */
static int load_in(const char *dir, const char *stack, prog_project **p, hg_err *err)
{
    hg_err_clear(err);
    *p = NULL;
    return prog_load(dir, stack, TYPES, p, err);
}

/* A one-file project; returns 0/-1 from prog_load. */
static int load_text(const char *yaml, const char *stack_yaml, prog_project **p, hg_err *err, char **dir_out)
{
    char *dir = tmpdir_new();
    write_file(dir, "Pulumi.yaml", yaml);
    if (stack_yaml) write_file(dir, "Pulumi.dev.yaml", stack_yaml);
    int rc = load_in(dir, "dev", p, err);
    *dir_out = dir;
    return rc;
}

static void done(prog_project *p, char *dir)
{
    prog_project_free(p);
    rm_rf(dir);
    free(dir);
}

static void expect_load_error(const char *yaml, const char *stack_yaml, const char *needle)
{
    prog_project *p;
    hg_err err;
    char *dir;
    int rc = load_text(yaml, stack_yaml, &p, &err, &dir);
    if (rc == 0 || !strstr(err.message, needle))
        fprintf(stderr, "rc=%d message: %s\nwanted: %s\n", rc, err.message, needle);
    assert_int_equal(rc, -1);
    assert_null(p);
    assert_non_null(strstr(err.message, needle));
    done(p, dir);
}

static const prog_resource *res(const prog_project *p, const char *name)
{
    for (int i = 0; i < p->nresources; i++)
        if (!strcmp(p->resources[i].name, name)) return &p->resources[i];
    return NULL;
}

static int pos(const prog_project *p, const char *name)
{
    for (int i = 0; i < p->nresources; i++)
        if (!strcmp(p->resources[i].name, name)) return i;
    return -1;
}

static char *config_json(const prog_project *p)
{
    return cJSON_PrintUnformatted(p->config);
}

/* ---- YAML ---------------------------------------------------------------------- */

static void yaml_nodes_have_positions_and_core_types(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    write_file(dir, "a.yaml",
               "top:\n"
               "  list: [1, two, \"3\", true, ~, 0x10, 1e3, -2.5, 'yes']\n"
               "  anchored: &a {k: v}\n"
               "  copy: *a\n"
               "  block: |\n"
               "    line\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/a.yaml", dir);
    prog_node *root = NULL;
    hg_err err;
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), 0);
    const prog_node *top = prog_map_get(root, "top");
    assert_non_null(top);
    assert_int_equal(top->line, 2);
    assert_int_equal(top->col, 3);
    const prog_node *list = prog_map_get(top, "list");
    assert_int_equal(list->kind, PN_SEQ);
    assert_int_equal(list->line, 2);
    assert_int_equal(list->col, 9);
    assert_int_equal(list->items[1]->col, 13);
    assert_true(list->items[2]->quoted);
    assert_false(list->items[1]->quoted);
    assert_string_equal(list->file, path);
    cJSON *j = prog_node_to_json(list);
    char *s = cJSON_PrintUnformatted(j);
    assert_string_equal(s, "[1,\"two\",\"3\",true,null,16,1000,-2.5,\"yes\"]");
    free(s);
    cJSON_Delete(j);
    j = prog_node_to_json(prog_map_get(top, "copy"));
    s = cJSON_PrintUnformatted(j);
    assert_string_equal(s, "{\"k\":\"v\"}");    /* aliases resolve to a copy */
    free(s);
    cJSON_Delete(j);
    assert_true(prog_map_get(top, "block")->quoted);
    assert_string_equal(prog_map_get(top, "block")->scalar, "line\n");
    prog_node_free(root);
    prog_node_free(NULL);
    rm_rf(dir);
    free(dir);
}

static void yaml_errors_name_file_line_and_column(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    prog_node *root = NULL;
    hg_err err;

    write_file(dir, "bad.yaml", "a: 1\nb: [1, 2\nc: 3\n");
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), -1);
    assert_null(root);
    assert_non_null(strstr(err.message, "bad.yaml:3:2: YAML syntax error"));

    write_file(dir, "bad.yaml", "a: 1\nb:\n  x: 1\n  x: 2\n");
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), -1);
    assert_non_null(strstr(err.message, "bad.yaml:4:3: duplicate key 'x'"));

    write_file(dir, "bad.yaml", "a: *nowhere\n");
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), -1);
    assert_non_null(strstr(err.message, "unknown alias"));

    /* nesting and alias expansion are bounded */
    char deep[1000] = "";
    for (int i = 0; i < 100; i++) strcat(deep, "[");
    write_file(dir, "bad.yaml", deep);
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), -1);
    assert_non_null(strstr(err.message, "nesting deeper than"));

    write_file(dir, "bad.yaml",
               "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
               "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
               "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
               "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n");
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), -1);
    assert_non_null(strstr(err.message, "nodes"));

    write_file(dir, "bad.yaml", "a: 1\n---\nb: 2\n");
    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load(path, &root, &err), -1);
    assert_non_null(strstr(err.message, "more than one YAML document"));

    hg_err_clear(&err);
    assert_int_equal(prog_yaml_load("/nonexistent/x.yaml", &root, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/x.yaml"));
    rm_rf(dir);
    free(dir);
}

static void program_yaml_syntax_error_is_positioned(void **state)
{
    (void)state;
    expect_load_error("name: x\nruntime: yaml\nresources:\n  t:\n    type: [\n", NULL, "Pulumi.yaml:6:1: YAML syntax error");
}

/* ---- projects -------------------------------------------------------------------- */

static void project_rejects_other_runtimes_and_missing_name(void **state)
{
    (void)state;
    expect_load_error("name: x\nruntime: nodejs\n", NULL,
                      "Pulumi.yaml:2:10: runtime 'nodejs' is not supported: hangar runs Pulumi YAML programs");
    expect_load_error("runtime: yaml\n", NULL, "Pulumi.yaml has no 'name'");
    expect_load_error("name: x\n", NULL, "no 'runtime'");
    prog_project *p;
    hg_err err;
    char *dir;
    assert_int_equal(load_text("name: x\nruntime: {name: yaml, options: {}}\ndescription: d\n", NULL, &p, &err, &dir), 0);
    assert_string_equal(p->name, "x");
    assert_string_equal(p->description, "d");
    assert_string_equal(p->stack, "dev");
    assert_int_equal(p->nresources, 0);
    assert_true(p->dir[0] == '/');
    done(p, dir);
    dir = tmpdir_new();
    assert_int_equal(load_in(dir, "dev", &p, &err), -1);
    assert_non_null(strstr(err.message, "no Pulumi.yaml in"));
    assert_int_equal(load_in(dir, "../x", &p, &err), -1);
    assert_non_null(strstr(err.message, "stack name '../x'"));
    rm_rf(dir);
    free(dir);
}

static void project_reads_main_yaml(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    write_file(dir, "Pulumi.yaml", "name: m\nruntime: yaml\nconfig:\n  env: {default: dev}\n");
    write_file(dir, "Main.yaml",
               "resources:\n"
               "  t:\n"
               "    type: aws:dynamodb:Table\n"
               "    properties: {name: '${env}-t'}\n"
               "outputs:\n"
               "  n: ${t.name}\n");
    prog_project *p;
    hg_err err;
    assert_int_equal(load_in(dir, "dev", &p, &err), 0);
    assert_non_null(p->main_root);
    assert_int_equal(p->nresources, 1);
    assert_non_null(p->outputs);
    assert_non_null(strstr(p->resources[0].node->file, "Main.yaml"));
    prog_project_free(p);

    /* main: pointing at a folder with Main.yaml */
    rm_rf(dir);
    mkdir(dir, 0755);
    write_file(dir, "Pulumi.yaml", "name: m\nruntime: yaml\nmain: src/\n");
    write_file(dir, "src/Main.yaml", "resources:\n  r:\n    type: aws:iam:Role\n    properties: {bad: '${nope}'}\n");
    assert_int_equal(load_in(dir, "dev", &p, &err), -1);
    assert_non_null(strstr(err.message, "src/Main.yaml:4:23: resource 'r' refers to undefined resource 'nope'"));

    /* both files with resources: refuse rather than guess */
    write_file(dir, "Pulumi.yaml", "name: m\nruntime: yaml\nmain: src\nresources: {}\n");
    assert_int_equal(load_in(dir, "dev", &p, &err), -1);
    assert_non_null(strstr(err.message, "'resources' is in both Pulumi.yaml and"));
    rm_rf(dir);
    free(dir);
}

static const char *const CONFIG_PROJECT =
    "name: api-gateway\n"
    "runtime: yaml\n"
    "config:\n"
    "  core-stack:\n"
    "    type: string\n"
    "  count:\n"
    "    type: integer\n"
    "    default: 2\n"
    "  enabled:\n"
    "    type: boolean\n"
    "    default: false\n"
    "  zones:\n"
    "    type: array\n"
    "    default: [a, b]\n"
    "  apiKey:\n"
    "    type: string\n"
    "    secret: true\n"
    "    default: k\n"
    "  plainDefault: hello\n"
    "  aws:region: us-west-2\n";

static void config_types_defaults_and_namespaces(void **state)
{
    (void)state;
    prog_project *p;
    hg_err err;
    char *dir;
    int rc = load_text(CONFIG_PROJECT,
                       "config:\n"
                       "  api-gateway:core-stack: dev\n"
                       "  api-gateway:count: \"5\"\n"
                       "  enabled: true\n"
                       "  aws:region: eu-central-1\n"
                       "  api-gateway:extra: 7\n"
                       "  api-gateway:structured: {a: [1]}\n"
                       "  api-gateway:password:\n"
                       "    secure: b64:aHVudGVyMg==\n",
                       &p, &err, &dir);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    char *s = config_json(p);
    assert_string_equal(s,
        "{\"api-gateway:core-stack\":\"dev\",\"api-gateway:count\":5,\"api-gateway:enabled\":true,"
        "\"api-gateway:zones\":[\"a\",\"b\"],"
        "\"api-gateway:apiKey\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_SECRET "\",\"value\":\"k\"},"
        "\"api-gateway:plainDefault\":\"hello\",\"aws:region\":\"eu-central-1\","
        "\"api-gateway:extra\":\"7\",\"api-gateway:structured\":{\"a\":[1]},"
        "\"api-gateway:password\":{\"" PROG_SIG_KEY "\":\"" PROG_SIG_SECRET "\",\"value\":\"hunter2\"}}");
    free(s);
    assert_non_null(strstr(p->stack_file, "/Pulumi.dev.yaml"));
    assert_true(p->stack_file[0] == '/');
    done(p, dir);

    /* the legacy `configuration:` section */
    assert_int_equal(load_text("name: old\nruntime: yaml\nconfiguration:\n  size: {type: integer, default: 1}\n",
                               NULL, &p, &err, &dir), 0);
    s = config_json(p);
    assert_string_equal(s, "{\"old:size\":1}");
    free(s);
    done(p, dir);
}

static void config_required_and_type_errors(void **state)
{
    (void)state;
    expect_load_error(CONFIG_PROJECT, "config:\n  aws:region: us-east-1\n",
        "Missing required configuration variable 'api-gateway:core-stack'\n\tplease set a value using the command "
        "`hangar config set core-stack <value> --stack dev` or add it to Pulumi.dev.yaml");
    expect_load_error(CONFIG_PROJECT, "config:\n  api-gateway:core-stack: dev\n  api-gateway:count: many\n",
                      "Pulumi.dev.yaml:3:22: configuration 'api-gateway:count' must be an integer, not 'many'");
    expect_load_error(CONFIG_PROJECT, "config:\n  api-gateway:core-stack: dev\n  api-gateway:enabled: maybe\n",
                      "configuration 'api-gateway:enabled' must be a boolean");
    expect_load_error(CONFIG_PROJECT, "config:\n  api-gateway:core-stack: dev\n  api-gateway:zones: a\n",
                      "configuration 'api-gateway:zones' must be a list");
    expect_load_error(CONFIG_PROJECT, "config:\n  api-gateway:core-stack: [x]\n",
                      "configuration 'api-gateway:core-stack' must be a string");
    expect_load_error("name: s\nruntime: yaml\nconfig:\n  pw: {type: string, secret: true}\n", NULL,
                      "`hangar config set pw <value> --secret --stack dev`");
}

/* ---- graph ---------------------------------------------------------------------- */

static const char *const GRAPH_PROJECT =
    "name: g\n"
    "runtime: yaml\n"
    "variables:\n"
    "  tableName: ${table.name}\n"
    "resources:\n"
    "  api:\n"
    "    type: aws:apigateway:RestApi\n"
    "    properties:\n"
    "      body:\n"
    "        fn::toJSON: {uri: '${handler.invokeArn}'}\n"
    "    options:\n"
    "      dependsOn: ['${role}']\n"
    "      protect: true\n"
    "      ignoreChanges: [tags]\n"
    "      replaceOnChanges: ['body']\n"
    "      deleteBeforeReplace: ${flag}\n"
    "      retainOnDelete: false\n"
    "      version: 6.0.0\n"
    "  handler:\n"
    "    type: aws:lambda:Function\n"
    "    properties:\n"
    "      environment:\n"
    "        variables: {TABLE: '${tableName}'}\n"
    "  table:\n"
    "    type: aws:dynamodb:Table\n"
    "  role:\n"
    "    type: aws:iam:Role\n"
    "  other:\n"
    "    type: aws:dynamodb/table:Table\n"
    "outputs:\n"
    "  url: ${api.id}\n";

static void graph_dependencies_order_and_options(void **state)
{
    (void)state;
    prog_project *p;
    hg_err err;
    char *dir;
    int rc = load_text(GRAPH_PROJECT, "config:\n  g:flag: true\n", &p, &err, &dir);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(p->nresources, 5);
    const prog_resource *api = res(p, "api"), *handler = res(p, "handler"), *other = res(p, "other");
    /* references (direct and through a variable) and dependsOn all count */
    assert_int_equal(handler->ndeps, 1);
    assert_string_equal(handler->deps[0], "table");
    assert_int_equal(api->ndeps, 2);
    assert_int_equal(api->ndepends_on, 1);
    assert_string_equal(api->depends_on[0], "role");
    assert_true(pos(p, "table") < pos(p, "handler"));
    assert_true(pos(p, "handler") < pos(p, "api"));
    assert_true(pos(p, "role") < pos(p, "api"));
    /* options */
    assert_true(api->protect);
    assert_true(api->delete_before_replace);          /* from config */
    assert_false(api->retain_on_delete);
    assert_int_equal(api->nignore_changes, 1);
    assert_string_equal(api->ignore_changes[0], "tags");
    assert_int_equal(api->nreplace_on_changes, 1);
    assert_string_equal(api->replace_on_changes[0], "body");
    assert_false(handler->protect);
    assert_string_equal(api->type, "aws:apigateway:RestApi");
    assert_string_equal(other->type, "aws:dynamodb:Table");  /* long type tokens are shortened */
    assert_int_equal(other->ndeps, 0);
    assert_non_null(api->properties);
    assert_null(res(p, "table")->properties);
    done(p, dir);
}

static void graph_cycles_are_named(void **state)
{
    (void)state;
    expect_load_error("name: c\nruntime: yaml\nresources:\n"
                      "  a:\n    type: aws:iam:Role\n    properties: {x: '${b.arn}'}\n"
                      "  b:\n    type: aws:iam:Role\n    options: {dependsOn: ['${c}']}\n"
                      "  c:\n    type: aws:iam:Role\n    properties: {x: '${a.arn}'}\n",
                      NULL, "Pulumi.yaml:5:5: dependency cycle: a -> b -> c -> a");
    expect_load_error("name: c\nruntime: yaml\nresources:\n"
                      "  self:\n    type: aws:iam:Role\n    properties: {x: '${self.arn}'}\n",
                      NULL, "dependency cycle: self -> self");
    expect_load_error("name: c\nruntime: yaml\nvariables:\n  a: ${b}\n  b: x${a}\n", NULL,
                      "Pulumi.yaml:5:6: variable cycle: a -> b -> a");
}

static void graph_unknown_types_references_and_options(void **state)
{
    (void)state;
    expect_load_error("name: u\nruntime: yaml\nresources:\n  bucket:\n    type: aws:s3:Bucket\n", NULL,
                      "Pulumi.yaml:5:11: resource 'bucket' has unknown type 'aws:s3:Bucket'; supported types: "
                      "aws:apigateway:RestApi, aws:dynamodb:Table, aws:iam:Role, aws:lambda:Function, "
                      "pulumi:pulumi:StackReference");
    expect_load_error("name: u\nruntime: yaml\nresources:\n  api:\n    type: aws:iam:Role\n"
                      "    properties:\n      x: ${tabel.arn}\n", NULL,
                      "Pulumi.yaml:7:10: resource 'api' refers to undefined resource 'tabel'");
    expect_load_error("name: u\nruntime: yaml\nresources:\n  api:\n    type: aws:iam:Role\n"
                      "    options:\n      dependsOn: ['${ghost}']\n", NULL,
                      "resource 'api' depends on undefined resource 'ghost'");
    expect_load_error("name: u\nruntime: yaml\nresources:\n  api:\n    type: aws:iam:Role\n"
                      "    options:\n      protekt: true\n", NULL,
                      "Pulumi.yaml:7:16: resource 'api' has unknown option 'protekt'");
    expect_load_error("name: u\nruntime: yaml\nresources:\n  api:\n    type: aws:iam:Role\n"
                      "    propertees: {}\n", NULL, "resource 'api' has unknown field 'propertees'");
    expect_load_error("name: u\nruntime: yaml\nresources:\n  api:\n    properties: {}\n", NULL,
                      "Pulumi.yaml:5:5: resource 'api' has no type");
    expect_load_error("name: u\nruntime: yaml\nresources:\n  t:\n    type: aws:iam:Role\n"
                      "  r:\n    type: aws:iam:Role\n    options:\n      protect: ${t.arn}\n", NULL,
                      "resource 'r': option protect must be known before deployment");
    expect_load_error("name: u\nruntime: yaml\noutputs:\n  x: ${pulumi.nope}\n", NULL,
                      "output 'x' refers to unknown property 'pulumi.nope'");
    expect_load_error("name: u\nruntime: yaml\noutputs:\n  x: ${other:key}\n", NULL,
                      "output 'x' refers to configuration 'other:key', which is not set (add it to Pulumi.dev.yaml)");
    expect_load_error("name: u\nruntime: yaml\nvariables:\n  t: 1\nresources:\n  t:\n    type: aws:iam:Role\n", NULL,
                      "'t' is both a variable and a resource");
}

static void stack_references_resolve_from_config(void **state)
{
    (void)state;
    prog_project *p;
    hg_err err;
    char *dir;
    int rc = load_text(
        "name: api-gateway\n"
        "runtime: yaml\n"
        "config:\n"
        "  core-org: {type: string}\n"
        "  core-project-name: {type: string}\n"
        "  core-stack: {type: string}\n"
        "resources:\n"
        "  core:\n"
        "    type: pulumi:pulumi:StackReference\n"
        "    properties:\n"
        "      name: ${core-org}/${core-project-name}/${core-stack}\n"
        "  literal:\n"
        "    type: pulumi:pulumi:StackReference\n"
        "    properties: {name: shared/prod}\n"
        "  short:\n"
        "    type: pulumi:pulumi:StackReference\n"
        "    properties: {name: staging}\n"
        "  fn:\n"
        "    type: aws:lambda:Function\n"
        "    properties:\n"
        "      environment: {variables: {TABLE: '${core.outputs[\"testTableName\"]}'}}\n",
        "config:\n"
        "  api-gateway:core-org: organization\n"
        "  api-gateway:core-project-name: core-infrastructure\n"
        "  api-gateway:core-stack: dev\n",
        &p, &err, &dir);
    if (rc) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rc, 0);
    assert_null(res(p, "core")->stack_reference);          /* computed from config */
    assert_string_equal(res(p, "literal")->stack_reference, "shared/prod");
    assert_string_equal(res(p, "fn")->deps[0], "core");
    char **names;
    int n;
    assert_int_equal(prog_stack_references(p, &names, &n, &err), 0);
    assert_int_equal(n, 3);
    /* in resource order: core, literal, short (fn depends on core) */
    int found = 0;
    for (int i = 0; i < n; i++) {
        if (!strcmp(names[i], "organization/core-infrastructure/dev")) found |= 1;
        if (!strcmp(names[i], "organization/shared/prod")) found |= 2;
        if (!strcmp(names[i], "organization/api-gateway/staging")) found |= 4;
        free(names[i]);
    }
    free(names);
    assert_int_equal(found, 7);
    done(p, dir);

    /* a name computed from a resource output cannot order stacks */
    assert_int_equal(load_text("name: s\nruntime: yaml\nresources:\n"
                               "  t:\n    type: aws:iam:Role\n"
                               "  ref:\n    type: pulumi:pulumi:StackReference\n    properties: {name: '${t.name}'}\n",
                               NULL, &p, &err, &dir), 0);
    hg_err_clear(&err);
    assert_int_equal(prog_stack_references(p, &names, &n, &err), -1);
    assert_null(names);
    assert_non_null(strstr(err.message, "Pulumi.yaml:8:24: stack reference 'ref': the stack name must be known"));
    done(p, dir);

    expect_load_error("name: s\nruntime: yaml\nresources:\n  ref:\n    type: pulumi:pulumi:StackReference\n", NULL,
                      "stack reference 'ref' has no 'name' property");
}

static void messages_name_the_folder_as_given(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    write_file(dir, "api-gateway/Pulumi.yaml", "name: a\nruntime: yaml\noutputs:\n  x: ${nope}\n");
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    prog_project *p;
    hg_err err;
    assert_int_equal(load_in("api-gateway", "dev", &p, &err), -1);
    assert_string_equal(err.message, "api-gateway/Pulumi.yaml:4:6: output 'x' refers to undefined resource 'nope'");
    assert_int_equal(chdir("api-gateway"), 0);
    assert_int_equal(load_in(".", "dev", &p, &err), -1);
    assert_string_equal(err.message, "Pulumi.yaml:4:6: output 'x' refers to undefined resource 'nope'");
    assert_int_equal(chdir(cwd), 0);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(yaml_nodes_have_positions_and_core_types),
        cmocka_unit_test(yaml_errors_name_file_line_and_column),
        cmocka_unit_test(program_yaml_syntax_error_is_positioned),
        cmocka_unit_test(project_rejects_other_runtimes_and_missing_name),
        cmocka_unit_test(project_reads_main_yaml),
        cmocka_unit_test(config_types_defaults_and_namespaces),
        cmocka_unit_test(config_required_and_type_errors),
        cmocka_unit_test(graph_dependencies_order_and_options),
        cmocka_unit_test(graph_cycles_are_named),
        cmocka_unit_test(graph_unknown_types_references_and_options),
        cmocka_unit_test(stack_references_resolve_from_config),
        cmocka_unit_test(messages_name_the_folder_as_given),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

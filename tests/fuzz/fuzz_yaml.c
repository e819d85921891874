/* libFuzzer target: the deployer's Pulumi YAML loader and evaluator front
 * end. The input becomes Pulumi.yaml in a temp project folder (beside a fixed
 * Pulumi.dev.yaml); it is parsed with prog_yaml_load and loaded for stack
 * "dev" with prog_load (config, references, ordering, cycle checks). */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "program.h"

static char dir[64], file[96];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    snprintf(dir, sizeof dir, "/tmp/hangar-fuzz-yaml-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(file, sizeof file, "%s/Pulumi.yaml", dir);
    char stack[128];
    snprintf(stack, sizeof stack, "%s/Pulumi.dev.yaml", dir);
    FILE *f = fopen(stack, "w");
    if (!f) abort();
    fputs("config:\n  aws:region: us-east-1\n  p:name: x\n", f);
    fclose(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(file, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);

    hg_err err;
    hg_err_clear(&err);
    prog_node *root = NULL;
    if (prog_yaml_load(file, &root, &err) == 0) {
        cJSON_Delete(prog_node_to_json(root));
        prog_node_free(root);
    }
    static const char *const types[] = {
        "aws:dynamodb:Table", "aws:lambda:Function", "aws:lambda:Permission", "aws:apigateway:RestApi",
        "aws:apigateway:Resource", "aws:apigateway:Method", "aws:apigateway:Integration",
        "aws:apigateway:Deployment", "aws:apigateway:Stage", "aws:iam:Role",
        "pulumi:pulumi:StackReference", NULL,
    };
    prog_project *p = NULL;
    hg_err_clear(&err);
    if (prog_load(dir, "dev", types, &p, &err) == 0) {
        char **names = NULL;
        int n = 0;
        hg_err_clear(&err);
        if (prog_stack_references(p, &names, &n, &err) == 0) {
            for (int i = 0; i < n; i++) free(names[i]);
            free(names);
        }
        prog_project_free(p);
    }
    return 0;
}

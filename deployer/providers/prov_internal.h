/*
 * prov_internal.h — what the provider files share (providers/common.c), and
 * the provider vtables the registry lists.
 *
 * Inputs arrive as the evaluator made them: a property may be wrapped as a
 * Pulumi secret ({sig: secret, value: V}); prov_get unwraps it so providers
 * read plain values. JSON null counts as absent.
 */
#ifndef HG_PROV_INTERNAL_H
#define HG_PROV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "provider.h"
#include "hg_json.h"
#include "program.h"     /* the checkpoint signatures of secrets, assets, archives */

/* The providers (one file each). */
extern const provider prov_dynamodb_table;
extern const provider prov_lambda_function;
extern const provider prov_lambda_permission;
extern const provider prov_apigw_rest_api;
extern const provider prov_apigw_resource;
extern const provider prov_apigw_method;
extern const provider prov_apigw_method_response;
extern const provider prov_apigw_integration;
extern const provider prov_apigw_integration_response;
extern const provider prov_apigw_deployment;
extern const provider prov_apigw_stage;
extern const provider prov_iam_role;
extern const provider prov_iam_role_policy;
extern const provider prov_iam_role_policy_attachment;

/* ---- reading inputs (all borrowed from in) ---------------------------------- */
const cJSON *prov_unwrap(const cJSON *v);                  /* secret -> its value */
bool         prov_sig_is(const cJSON *v, const char *sig);  /* a Pulumi secret/asset/archive? */
const cJSON *prov_get(const cJSON *in, const char *name);  /* NULL when absent or null */
const char  *prov_str(const cJSON *in, const char *name);  /* NULL unless a string */
const char  *prov_jstr(const cJSON *o, const char *key);    /* a string member, "" when absent */
const char  *prov_account(const prov_ctx *ctx);             /* account id, default 000000000000 */
const char  *prov_region(const prov_ctx *ctx);              /* region, default us-east-1 */
bool         prov_bool(const cJSON *in, const char *name, bool dflt);
double       prov_num(const cJSON *in, const char *name, double dflt);
/* Is the property's value different between olds and news (deep compare)? */
bool         prov_changed(const cJSON *olds, const cJSON *news, const char *name);

/* ---- check helpers: fail with the property name --------------------------- */
int prov_check_string(const cJSON *in, const char *name, bool required, const char *type, hg_err *err);
int prov_check_number(const cJSON *in, const char *name, bool required, double min, double max,
                      const char *type, hg_err *err);
int prov_check_bool(const cJSON *in, const char *name, const char *type, hg_err *err);
int prov_check_object(const cJSON *in, const char *name, const char *type, hg_err *err);
int prov_check_array(const cJSON *in, const char *name, const char *type, hg_err *err);
/* A map of string values (tags, environment variables, stage variables). */
int prov_check_string_map(const cJSON *in, const char *name, const char *type, hg_err *err);
/* One of the allowed strings (NULL-terminated). */
int prov_check_enum(const cJSON *in, const char *name, const char *const *allowed, const char *type,
                    hg_err *err);
/* Auto-name property prop (logical name + "-" + 7 hex) unless given; keep
 * an earlier auto-name found in olds. maxlen bounds a given name. */
int prov_autoname_prop(prov_ctx *ctx, const cJSON *olds, cJSON *news, const char *prop, size_t maxlen,
                       const char *type, hg_err *err);

/* ---- outputs -------------------------------------------------------------- */
/* A copy of inputs with secrets unwrapped (new), to which providers add what
 * AWS assigned. */
cJSON *prov_outputs_base(const cJSON *inputs);
void   prov_set_str(cJSON *o, const char *key, const char *v);      /* v NULL: JSON null */
void   prov_set_num(cJSON *o, const char *key, double v);
/* Copy member from of src to key of dst when present. */
void   prov_copy(cJSON *dst, const char *key, const cJSON *src, const char *from);

/* ---- AWS ------------------------------------------------------------------ */
/* Is this error "the resource does not exist"? (404, *NotFound*) */
bool prov_not_found(const hg_err *err);
/* {"k":"v"} -> [{"Key":"k","Value":"v"}] (new), or NULL when no tags. */
cJSON *prov_tags_list(const cJSON *tags);
/* A reference to another resource: its id string, or the id member of its
 * outputs object (restApi: ${api} as well as ${api.id}). Borrowed. */
const char *prov_ref_id(const cJSON *in, const char *name);
/* The role an IAM attachment names in its "role" input (RolePolicy,
 * RolePolicyAttachment): a role name, a role ARN (the part after the last
 * '/'), or a Role's outputs. Borrowed from in; NULL when it names none. */
const char *prov_role_name(const cJSON *in);
/* Append {"op":op,"path":path,"value":value} (value NULL: none) to a patch list. */
void prov_patch(cJSON *ops, const char *op, const char *path, const char *value);
/* A JSON document property (string kept, object/array printed): new string. */
char *prov_json_doc(const cJSON *in, const char *name);
/* API Gateway REST call (service "apigateway"). */
int prov_apigw(prov_ctx *ctx, const char *method, const char *path, const cJSON *body, cJSON **out, hg_err *err);
/* rc of a delete: "not found" counts as done (clears err). */
int prov_gone_ok(int rc, hg_err *err);
/* Is s safe as one URL path segment without encoding (API Gateway ids, HTTP
 * methods, stage names: [A-Za-z0-9._-]+)? */
bool prov_safe_segment(const char *s);
/* snprintf into a fresh heap string. */
char *prov_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sleep ms milliseconds (polling waits). */
void prov_sleep_ms(long ms);

/* The code of a Lambda function as a zip: value is an archive from
 * fn::fileArchive / fn::assetArchive ({sig: archive, path | assets}) or a
 * path string; a folder is zipped with prov_zip_dir, a .zip file is read
 * as-is. Relative paths are under ctx->project_dir. *zip is malloc'd. */
int prov_code_zip(const prov_ctx *ctx, const cJSON *value, void **zip, size_t *len, hg_err *err);
/* base64(sha256(data)) — Lambda's CodeSha256. out must hold 45 bytes. */
void prov_sha256_b64(const void *data, size_t len, char out[45]);
/* base64 (new string). */
char *prov_base64(const void *data, size_t len);

/* Stands between IAM providers and the IAM API. True (the default): roles
 * and policies are created through the endpoint's IAM API and outputs come
 * from its responses; false (HANGAR_IAM=record, for endpoints without IAM):
 * they are only recorded (validated, given ARNs). The one switch. */
bool prov_iam_enabled(void);
/* The text of the first <tag>...</tag> of a Query-protocol XML response,
 * with the five XML entities decoded: new string, or NULL when absent. */
char *prov_xml_text(const char *xml, const char *tag);

#endif

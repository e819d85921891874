/*
 * iam_service.c — the IAM and STS services on the Query protocol: a form
 * body (or query string) "Action=CreateRole&Version=2010-05-08&...", an XML
 * response "<ActionResponse><ActionResult>...</ActionResult>
 * <ResponseMetadata>..." and errors as "<ErrorResponse><Error><Type>Sender
 * </Type><Code>NoSuchEntity</Code><Message>...". Requests are ours by the
 * credential scope's service (iam or sts), which every SDK signs with.
 *
 * IAM is the roles Lambda functions run as: CreateRole ... DetachRolePolicy
 * over iam_store.c's role documents. Policy documents travel URL-encoded
 * inside the XML, as AWS sends them (botocore decodes them).
 */
#include "iam.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "auth.h"
#include "config.h"
#include "hg_crypto.h"
#include "iam_store.h"
#include "service.h"

#define IAM_NS "https://iam.amazonaws.com/doc/2010-05-08/"
#define STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"
#define MAX_PARAMS 64
#define MAX_OUT (8u * 1024 * 1024)

typedef struct form { char *k[MAX_PARAMS], *v[MAX_PARAMS]; int n; } form;

typedef struct iam_call {
    hg_request *req;
    form        f;
    hg_buf      out;         /* the Result element's contents */
    hg_store   *store;
    const char *ns;
} iam_call;

/* ---- form decoding and XML writing ------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *form_decode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') o[j++] = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                 hexval((unsigned char)s[i + 2]) >= 0) {
            o[j++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else o[j++] = s[i];
    }
    o[j] = '\0';
    return o;
}

static void form_release(form *f)
{
    for (int i = 0; i < f->n; i++) { free(f->k[i]); free(f->v[i]); }
    f->n = 0;
}

static int form_parse(form *f, const char *s, hg_err *err)
{
    while (s && *s) {
        size_t n = strcspn(s, "&");
        if (n) {
            if (f->n == MAX_PARAMS) return hg_err_set(err, 400, "ValidationError", "Too many request parameters");
            const char *eq = memchr(s, '=', n);
            size_t kn = eq ? (size_t)(eq - s) : n;
            f->k[f->n] = form_decode(s, kn);
            f->v[f->n] = eq ? form_decode(eq + 1, n - kn - 1) : strdup("");
            f->n++;
            if (!f->k[f->n - 1] || !f->v[f->n - 1]) return hg_err_internal(err, "out of memory");
        }
        s += n;
        if (*s) s++;
    }
    return 0;
}

static const char *param(const iam_call *c, const char *name)
{
    for (int i = 0; i < c->f.n; i++)
        if (strcmp(c->f.k[i], name) == 0) return c->f.v[i];
    return NULL;
}

static int xml_text(hg_buf *b, const char *s)
{
    for (; *s; s++) {
        int rc;
        switch (*s) {
        case '&': rc = hg_buf_puts(b, "&amp;"); break;
        case '<': rc = hg_buf_puts(b, "&lt;"); break;
        case '>': rc = hg_buf_puts(b, "&gt;"); break;
        case '"': rc = hg_buf_puts(b, "&quot;"); break;
        default:  rc = hg_buf_putc(b, *s);
        }
        if (rc) return -1;
    }
    return 0;
}

static void elem(hg_buf *b, const char *name, const char *text)
{
    hg_buf_printf(b, "<%s>", name);
    xml_text(b, text);
    hg_buf_printf(b, "</%s>", name);
}

/* A policy document as AWS puts it in XML: URL-encoded JSON. */
static void elem_doc(hg_buf *b, const char *name, const cJSON *doc)
{
    char *s = cJSON_PrintUnformatted(doc);
    hg_buf_printf(b, "<%s>", name);
    static const char hex[] = "0123456789ABCDEF";
    for (const char *p = s ? s : "{}"; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (isalnum(ch) || strchr("-_.~", ch)) hg_buf_putc(b, (char)ch);
        else hg_buf_printf(b, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
    }
    hg_buf_printf(b, "</%s>", name);
    cJSON_free(s);
}

/* ---- errors ------------------------------------------------------------------------------ */

#define NO_SUCH(err, ...)  hg_err_set((err), 404, "NoSuchEntity", __VA_ARGS__)
#define INVALID(err, ...)  hg_err_set((err), 400, "ValidationError", __VA_ARGS__)

static void write_error(hg_request *req, hg_response *resp, const hg_err *err, const char *ns)
{
    hg_buf b;
    hg_buf_init(&b, 16384);
    hg_buf_printf(&b, "<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type><Code>", ns, err->status >= 500 ? "Receiver" : "Sender");
    xml_text(&b, err->code);
    hg_buf_puts(&b, "</Code><Message>");
    xml_text(&b, err->message);
    hg_buf_printf(&b, "</Message></Error><RequestId>%s</RequestId></ErrorResponse>", req->request_id);
    hg_response_set(resp, err->status ? err->status : 500, "text/xml", hg_buf_cstr(&b), b.len);
    hg_buf_release(&b);
}

static void render_error(hg_request *req, hg_response *resp, const hg_err *err)
{
    write_error(req, resp, err, strcmp(req->signing_service, "sts") == 0 ? STS_NS : IAM_NS);
}

/* ---- roles ------------------------------------------------------------------------------- */

static int valid_role_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("+=,.@_-", *s))) return 0;
    return 1;
}

static const char *role_name(iam_call *c, hg_err *err)
{
    const char *n = param(c, "RoleName");
    if (!n) { INVALID(err, "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null"); return NULL; }
    if (!valid_role_name(n)) {
        INVALID(err, "1 validation error detected: Value '%.100s' at 'roleName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@-]+", n);
        return NULL;
    }
    return n;
}

/* The stored role document, parsed (caller deletes), or NULL with NoSuchEntity. */
static cJSON *load_role(iam_call *c, const char *name, hg_err *err)
{
    char *text;
    int rc = iam_store_role_get(c->store, name, &text, err);
    if (rc < 0) return NULL;
    if (rc == 1) { NO_SUCH(err, "The role with name %s cannot be found.", name); return NULL; }
    cJSON *doc = cJSON_Parse(text);
    free(text);
    if (!doc) hg_err_internal(err, "stored role %s is unreadable", name);
    return doc;
}

static int save_role(iam_call *c, const char *name, const cJSON *doc, int create, hg_err *err)
{
    char *text = cJSON_PrintUnformatted(doc);
    if (!text) return hg_err_internal(err, "out of memory");
    int rc = iam_store_role_put(c->store, name, text, create, err);
    cJSON_free(text);
    return rc;
}

/* Parse and validate a policy document parameter. identity: a permissions
 * policy (Resource required, no Principal); else a trust policy. */
static cJSON *policy_param(iam_call *c, const char *pname, int identity, hg_err *err)
{
    const char *text = param(c, pname);
    if (!text) { INVALID(err, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", pname); return NULL; }
    cJSON *doc = cJSON_Parse(text);
    if (!doc) { hg_err_set(err, 400, "MalformedPolicyDocument", "This policy contains invalid Json"); return NULL; }
    if (iam_policy_validate(doc, identity, err) != 0) { cJSON_Delete(doc); return NULL; }
    return doc;
}

static void write_role(hg_buf *b, const cJSON *role)
{
    static const char *const fields[] = { "Path", "RoleName", "RoleId", "Arn", "CreateDate" };
    hg_buf_puts(b, "<Role>");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(role, fields[i]);
        if (cJSON_IsString(v)) elem(b, fields[i], v->valuestring);
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(role, "AssumeRolePolicyDocument");
    if (d) elem_doc(b, "AssumeRolePolicyDocument", d);
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(role, "Description");
    if (cJSON_IsString(desc)) elem(b, "Description", desc->valuestring);
    hg_buf_printf(b, "<MaxSessionDuration>%d</MaxSessionDuration>",
                  cJSON_GetObjectItemCaseSensitive(role, "MaxSessionDuration")
                      ? cJSON_GetObjectItemCaseSensitive(role, "MaxSessionDuration")->valueint : 3600);
    hg_buf_puts(b, "</Role>");
}

static int op_create_role(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    if (!name) return -1;
    const char *path = param(c, "Path");
    if (!path) path = "/";
    if (path[0] != '/' || path[strlen(path) - 1] != '/' || strlen(path) > 512)
        return INVALID(err, "The specified value for path is invalid. It must begin and end with / and contain only "
                       "alphanumeric characters and/or / characters.");
    cJSON *trust = policy_param(c, "AssumeRolePolicyDocument", 0, err);
    if (!trust) return -1;
    char arn[700], created[32];
    snprintf(arn, sizeof arn, "arn:aws:iam::%s:role%s%s", hg_cfg.account_id, path, name);
    unsigned char md[HG_SHA256_LEN];
    hg_sha256((const unsigned char *)arn, strlen(arn), md);
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char id[22] = "AROA";
    for (int i = 0; i < 17; i++) id[4 + i] = alphabet[md[i] & 31];
    id[21] = '\0';
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON *doc = cJSON_CreateObject();
    cJSON *role = cJSON_AddObjectToObject(doc, "Role");
    cJSON_AddStringToObject(role, "Path", path);
    cJSON_AddStringToObject(role, "RoleName", name);
    cJSON_AddStringToObject(role, "RoleId", id);
    cJSON_AddStringToObject(role, "Arn", arn);
    cJSON_AddStringToObject(role, "CreateDate", created);
    cJSON_AddItemToObject(role, "AssumeRolePolicyDocument", trust);
    if (param(c, "Description")) cJSON_AddStringToObject(role, "Description", param(c, "Description"));
    cJSON_AddNumberToObject(role, "MaxSessionDuration", 3600);
    cJSON_AddObjectToObject(doc, "Inline");
    cJSON_AddArrayToObject(doc, "Attached");
    int rc = save_role(c, name, doc, 1, err);
    if (rc == 1) rc = hg_err_set(err, 409, "EntityAlreadyExists", "Role with name %s already exists.", name);
    if (rc == 0) write_role(&c->out, role);
    cJSON_Delete(doc);
    return rc;
}

static int op_get_role(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    write_role(&c->out, cJSON_GetObjectItemCaseSensitive(doc, "Role"));
    cJSON_Delete(doc);
    return 0;
}

static int op_delete_role(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    int inl = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "Inline"));
    int att = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "Attached"));
    cJSON_Delete(doc);
    if (inl) return hg_err_set(err, 409, "DeleteConflict", "Cannot delete entity, must delete policies first.");
    if (att) return hg_err_set(err, 409, "DeleteConflict", "Cannot delete entity, must detach all policies first.");
    return iam_store_role_delete(c->store, name, err) < 0 ? -1 : 0;
}

static int list_one(void *ctx, const char *text)
{
    iam_call *c = ctx;
    cJSON *doc = cJSON_Parse(text);
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(doc, "Role");
    const char *prefix = param(c, "PathPrefix");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(role, "Path");
    if (role && (!prefix || (cJSON_IsString(path) && strncmp(path->valuestring, prefix, strlen(prefix)) == 0))) {
        hg_buf_puts(&c->out, "<member>");
        size_t at = c->out.len;
        write_role(&c->out, role);
        /* a list member is the Role's fields without the <Role> wrapper */
        memmove(c->out.data + at, c->out.data + at + 6, c->out.len - at - 6);
        c->out.len -= 6 + 7;
        hg_buf_puts(&c->out, "</member>");
    }
    cJSON_Delete(doc);
    return 0;
}

static int op_list_roles(iam_call *c, hg_err *err)
{
    hg_buf_puts(&c->out, "<Roles>");
    if (iam_store_role_each(c->store, list_one, c, err) != 0) return -1;
    hg_buf_puts(&c->out, "</Roles><IsTruncated>false</IsTruncated>");
    return 0;
}

static int op_update_assume_role_policy(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    cJSON *trust = policy_param(c, "PolicyDocument", 0, err);
    if (!trust) { cJSON_Delete(doc); return -1; }
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Role"), "AssumeRolePolicyDocument", trust);
    int rc = save_role(c, name, doc, 0, err);
    cJSON_Delete(doc);
    return rc;
}

static const char *policy_name(iam_call *c, hg_err *err)
{
    const char *n = param(c, "PolicyName");
    if (!n || !valid_role_name(n) || strlen(n) > 128) {
        INVALID(err, "1 validation error detected: Value '%.100s' at 'policyName' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: [\\w+=,.@-]+", n ? n : "null");
        return NULL;
    }
    return n;
}

static int op_put_role_policy(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    const char *pname = name ? policy_name(c, err) : NULL;
    cJSON *doc = pname ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    cJSON *pol = policy_param(c, "PolicyDocument", 1, err);
    if (!pol) { cJSON_Delete(doc); return -1; }
    cJSON *inl = cJSON_GetObjectItemCaseSensitive(doc, "Inline");
    cJSON_DeleteItemFromObjectCaseSensitive(inl, pname);
    cJSON_AddItemToObject(inl, pname, pol);
    int rc = save_role(c, name, doc, 0, err);
    cJSON_Delete(doc);
    return rc;
}

static int op_get_role_policy(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    const char *pname = name ? policy_name(c, err) : NULL;
    cJSON *doc = pname ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    const cJSON *pol = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Inline"), pname);
    int rc = 0;
    if (!pol) rc = NO_SUCH(err, "The role policy with name %s cannot be found.", pname);
    else {
        elem(&c->out, "RoleName", name);
        elem(&c->out, "PolicyName", pname);
        elem_doc(&c->out, "PolicyDocument", pol);
    }
    cJSON_Delete(doc);
    return rc;
}

static int op_delete_role_policy(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    const char *pname = name ? policy_name(c, err) : NULL;
    cJSON *doc = pname ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    cJSON *inl = cJSON_GetObjectItemCaseSensitive(doc, "Inline");
    int rc;
    if (!cJSON_GetObjectItemCaseSensitive(inl, pname))
        rc = NO_SUCH(err, "The role policy with name %s cannot be found.", pname);
    else {
        cJSON_DeleteItemFromObjectCaseSensitive(inl, pname);
        rc = save_role(c, name, doc, 0, err);
    }
    cJSON_Delete(doc);
    return rc;
}

static int op_list_role_policies(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    hg_buf_puts(&c->out, "<PolicyNames>");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "Inline")) elem(&c->out, "member", p->string);
    hg_buf_puts(&c->out, "</PolicyNames><IsTruncated>false</IsTruncated>");
    cJSON_Delete(doc);
    return 0;
}

static const cJSON *find_attached(const cJSON *doc, const char *arn)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(doc, "Attached"))
        if (cJSON_IsString(a) && strcmp(a->valuestring, arn) == 0) return a;
    return NULL;
}

static int op_attach_role_policy(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    const char *arn = param(c, "PolicyArn");
    int rc = 0;
    if (!arn || strncmp(arn, "arn:", 4) != 0)
        rc = INVALID(err, "ARN %s is not valid.", arn ? arn : "null");
    else if (!iam_managed_policy(arn))
        rc = NO_SUCH(err, "Policy %s does not exist or is not attachable.", arn);
    else if (!find_attached(doc, arn)) {
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(doc, "Attached"), cJSON_CreateString(arn));
        rc = save_role(c, name, doc, 0, err);
    }
    cJSON_Delete(doc);
    return rc;
}

static int op_detach_role_policy(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    const char *arn = param(c, "PolicyArn");
    const cJSON *a = arn ? find_attached(doc, arn) : NULL;
    int rc;
    if (!a) rc = NO_SUCH(err, "Policy %s was not found.", arn ? arn : "null");
    else {
        cJSON_Delete(cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(doc, "Attached"), (cJSON *)a));
        rc = save_role(c, name, doc, 0, err);
    }
    cJSON_Delete(doc);
    return rc;
}

static int op_list_attached_role_policies(iam_call *c, hg_err *err)
{
    const char *name = role_name(c, err);
    cJSON *doc = name ? load_role(c, name, err) : NULL;
    if (!doc) return -1;
    hg_buf_puts(&c->out, "<AttachedPolicies>");
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(doc, "Attached")) {
        const char *slash = strrchr(a->valuestring, '/');
        hg_buf_puts(&c->out, "<member>");
        elem(&c->out, "PolicyName", slash ? slash + 1 : a->valuestring);
        elem(&c->out, "PolicyArn", a->valuestring);
        hg_buf_puts(&c->out, "</member>");
    }
    hg_buf_puts(&c->out, "</AttachedPolicies><IsTruncated>false</IsTruncated>");
    cJSON_Delete(doc);
    return 0;
}

static int op_get_caller_identity(iam_call *c, hg_err *err)
{
    (void)err;
    const char *arn, *uid;
    hg_auth_caller(c->req, &arn, &uid);
    elem(&c->out, "Arn", arn);
    elem(&c->out, "UserId", uid);
    elem(&c->out, "Account", hg_cfg.account_id);
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

typedef struct iam_op {
    const char *name;
    int (*fn)(iam_call *c, hg_err *err);
    int writes;
    int has_result;          /* the response carries an <ActionResult> element */
} iam_op;

static const iam_op iam_ops[] = {      /* sorted by name */
    { "AttachRolePolicy",          op_attach_role_policy, 1, 0 },
    { "CreateRole",                op_create_role, 1, 1 },
    { "DeleteRole",                op_delete_role, 1, 0 },
    { "DeleteRolePolicy",          op_delete_role_policy, 1, 0 },
    { "DetachRolePolicy",          op_detach_role_policy, 1, 0 },
    { "GetRole",                   op_get_role, 0, 1 },
    { "GetRolePolicy",             op_get_role_policy, 0, 1 },
    { "ListAttachedRolePolicies",  op_list_attached_role_policies, 0, 1 },
    { "ListRolePolicies",          op_list_role_policies, 0, 1 },
    { "ListRoles",                 op_list_roles, 0, 1 },
    { "PutRolePolicy",             op_put_role_policy, 1, 0 },
    { "UpdateAssumeRolePolicy",    op_update_assume_role_policy, 1, 0 },
};

static const iam_op sts_ops[] = {
    { "GetCallerIdentity",         op_get_caller_identity, 0, 1 },
};

static int claims(const hg_request *req)
{
    return strcmp(req->signing_service, "iam") == 0 || strcmp(req->signing_service, "sts") == 0;
}

static void handle(hg_request *req, hg_response *resp)
{
    hg_err err;
    hg_err_clear(&err);
    iam_call c;
    memset(&c, 0, sizeof c);
    c.req = req;
    int sts = strcmp(req->signing_service, "sts") == 0;
    c.ns = sts ? STS_NS : IAM_NS;
    hg_buf_init(&c.out, MAX_OUT);
    req->operation = "-";
    const iam_op *op = NULL;
    const char *q = req->raw_uri ? strchr(req->raw_uri, '?') : NULL;
    if (form_parse(&c.f, q ? q + 1 : NULL, &err) != 0 || form_parse(&c.f, req->body, &err) != 0) goto fail;
    const char *action = param(&c, "Action");
    const iam_op *ops = sts ? sts_ops : iam_ops;
    size_t nops = sts ? sizeof sts_ops / sizeof sts_ops[0] : sizeof iam_ops / sizeof iam_ops[0];
    for (size_t i = 0; action && i < nops; i++)
        if (strcmp(ops[i].name, action) == 0) op = &ops[i];
    if (!op) {
        hg_err_set(&err, 400, "InvalidAction", "Could not find operation %.100s for version %s", action ? action : "(none)",
                   sts ? "2011-06-15" : "2010-05-08");
        goto fail;
    }
    req->operation = op->name;
    if (!sts) {           /* GetCallerIdentity needs no permission, as in AWS */
        char act[96], arn[700];
        const char *rn = param(&c, "RoleName");
        snprintf(act, sizeof act, "iam:%s", op->name);
        if (rn) snprintf(arn, sizeof arn, "arn:aws:iam::%s:role/%.200s", hg_cfg.account_id, rn);
        else strcpy(arn, "*");
        if (hg_authorize(req, act, arn, &err) != 0) goto fail;
    }
    if (!(c.store = hg_store_get(&err))) goto fail;
    if (op->writes && hg_store_begin_write(c.store, &err) != 0) goto fail;
    if (op->fn(&c, &err) != 0) {
        if (!hg_err_isset(&err)) hg_err_internal(&err, "%s failed without a reason", op->name);
        hg_store_rollback(c.store);
        goto fail;
    }
    if (op->writes && hg_store_commit(c.store, &err) != 0) goto fail;
    hg_buf b;
    hg_buf_init(&b, MAX_OUT + 4096);
    hg_buf_printf(&b, "<%sResponse xmlns=\"%s\">", op->name, c.ns);
    if (op->has_result) {
        hg_buf_printf(&b, "<%sResult>", op->name);
        hg_buf_append(&b, hg_buf_cstr(&c.out), c.out.len);
        hg_buf_printf(&b, "</%sResult>", op->name);
    }
    hg_buf_printf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", req->request_id,
                  op->name);
    hg_response_set(resp, 200, "text/xml", hg_buf_cstr(&b), b.len);
    hg_buf_release(&b);
    goto out;
fail:
    write_error(req, resp, &err, c.ns);
out:
    form_release(&c.f);
    hg_buf_release(&c.out);
}

static int init(hg_err *err) { (void)err; return 0; }
static void shutdown_(void) {}
static const char *state(void) { return "running"; }

const hg_service hg_iam_service = {
    .name = "iam", .init = init, .shutdown = shutdown_, .claims = claims, .handle = handle, .state = state,
    .render_error = render_error,
};

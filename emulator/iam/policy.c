/*
 * policy.c — IAM policy evaluation, for identity-based policies.
 *
 * The logic is AWS's, restricted to one account and no permission
 * boundaries or SCPs:
 *   1. A statement applies when its Action (or NotAction) covers the action,
 *      its Resource (or NotResource) covers the resource, and every
 *      Condition operator holds.
 *   2. If any applying statement has Effect Deny, the answer is an explicit
 *      deny — no Allow can override it.
 *   3. Else, if any applying statement has Effect Allow, the answer is allow.
 *   4. Else it is an implicit deny (the default).
 * Actions match without regard to case ("DynamoDB:getitem" is
 * dynamodb:GetItem); resources and condition strings with regard to it,
 * as IAM does. Statement, Action, Resource and condition values may each be
 * one value or a list. ${aws:username}-style variables are replaced in
 * Resource and condition values of Version 2012-10-17 documents; a variable
 * whose key is absent makes that value match nothing.
 */
#include "iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hg_glob.h"

/* The value of a condition key in ctx, or NULL when the request lacks it. */
static const char *context_key(const iam_context *ctx, const char *key)
{
    if (strcasecmp(key, "aws:username") == 0) return ctx->username;
    if (strcasecmp(key, "aws:userid") == 0) return ctx->userid;
    if (strcasecmp(key, "aws:PrincipalArn") == 0) return ctx->principal_arn;
    if (strcasecmp(key, "aws:PrincipalAccount") == 0) return ctx->account;
    if (strcasecmp(key, "aws:RequestedRegion") == 0) return ctx->region;
    if (strcasecmp(key, "aws:SourceIp") == 0) return ctx->source_ip;
    if (strcasecmp(key, "aws:SecureTransport") == 0) return "false";   /* we speak plain HTTP */
    if (strcasecmp(key, "aws:PrincipalType") == 0)
        return ctx->principal_arn && strstr(ctx->principal_arn, ":assumed-role/") ? "AssumedRole" : "User";
    return NULL;
}

/* Replace ${key} variables (and ${*} ${?} ${$}) in v. Returns a heap string
 * the caller frees, or NULL when a variable's key is absent (the value then
 * matches nothing) or memory ran out. */
static char *substitute(const char *v, const iam_context *ctx)
{
    size_t cap = strlen(v) + 1, len = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    for (const char *p = v; *p; ) {
        const char *piece = p;
        size_t n = 1;
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p, '}');
            if (end) {
                char key[128];
                size_t kn = (size_t)(end - p - 2);
                if (kn >= sizeof key) { free(out); return NULL; }
                memcpy(key, p + 2, kn);
                key[kn] = '\0';
                if (strcmp(key, "*") == 0 || strcmp(key, "?") == 0 || strcmp(key, "$") == 0) piece = p + 2;
                else if (!(piece = context_key(ctx, key))) { free(out); return NULL; }
                n = strcmp(key, "*") == 0 || strcmp(key, "?") == 0 || strcmp(key, "$") == 0 ? 1 : strlen(piece);
                p = end + 1;
                goto put;
            }
        }
        p++;
put:
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *g = realloc(out, cap);
            if (!g) { free(out); return NULL; }
            out = g;
        }
        memcpy(out + len, piece, n);
        len += n;
    }
    out[len] = '\0';
    return out;
}

/* Does v (a string or list of strings) have a pattern matching s? */
static int any_glob(const cJSON *v, const char *s, int fold, int vars, const iam_context *ctx)
{
    if (cJSON_IsString(v)) {
        if (!vars || !strstr(v->valuestring, "${")) return hg_glob(v->valuestring, s, fold);
        char *sub = substitute(v->valuestring, ctx);
        int m = sub && hg_glob(sub, s, fold);
        free(sub);
        return m;
    }
    const cJSON *e;
    if (cJSON_IsArray(v)) cJSON_ArrayForEach(e, v)
        if (any_glob(e, s, fold, vars, ctx)) return 1;
    return 0;
}

/* A condition value as text: strings as they are, numbers and booleans
 * spelled as JSON spells them (policies often write "true" or true). */
static const char *value_text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) { snprintf(buf, cap, "%.17g", v->valuedouble); return buf; }
    return NULL;
}

enum cmp { C_STR, C_STR_CI, C_LIKE, C_ARN, C_BOOL, C_NUM_EQ, C_NUM_LT, C_NUM_LE, C_NUM_GT, C_NUM_GE, C_NULL };

typedef struct cond_op { const char *name; enum cmp cmp; int negate; } cond_op;

static const cond_op ops[] = {
    { "StringEquals", C_STR, 0 },            { "StringNotEquals", C_STR, 1 },
    { "StringEqualsIgnoreCase", C_STR_CI, 0 },{ "StringNotEqualsIgnoreCase", C_STR_CI, 1 },
    { "StringLike", C_LIKE, 0 },             { "StringNotLike", C_LIKE, 1 },
    { "ArnEquals", C_ARN, 0 },               { "ArnLike", C_ARN, 0 },
    { "ArnNotEquals", C_ARN, 1 },            { "ArnNotLike", C_ARN, 1 },
    { "Bool", C_BOOL, 0 },
    { "NumericEquals", C_NUM_EQ, 0 },        { "NumericNotEquals", C_NUM_EQ, 1 },
    { "NumericLessThan", C_NUM_LT, 0 },      { "NumericLessThanEquals", C_NUM_LE, 0 },
    { "NumericGreaterThan", C_NUM_GT, 0 },   { "NumericGreaterThanEquals", C_NUM_GE, 0 },
    { "Null", C_NULL, 0 },
};

/* Find an operator; strips a "ForAnyValue:"/"ForAllValues:" prefix and an
 * "IfExists" suffix (our keys are single-valued, so the set operators
 * reduce to the plain ones, except ForAllValues on an absent key). */
static const cond_op *find_op(const char *name, int *if_exists, int *for_all)
{
    *if_exists = *for_all = 0;
    if (strncasecmp(name, "ForAnyValue:", 12) == 0) name += 12;
    else if (strncasecmp(name, "ForAllValues:", 13) == 0) { name += 13; *for_all = 1; }
    size_t n = strlen(name);
    if (n > 8 && strcmp(name + n - 8, "IfExists") == 0) { *if_exists = 1; n -= 8; }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strlen(ops[i].name) == n && strncmp(ops[i].name, name, n) == 0) return &ops[i];
    return NULL;
}

static int number(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end != s && *end == '\0';
}

/* One comparison of the request's value with one policy value. */
static int compare(enum cmp c, const char *have, const char *want, const iam_context *ctx)
{
    char *sub = NULL;
    if (strstr(want, "${")) {
        sub = substitute(want, ctx);
        if (!sub) return 0;
        want = sub;
    }
    double a, b;
    int r = 0;
    switch (c) {
    case C_STR:    r = strcmp(have, want) == 0; break;
    case C_STR_CI: r = strcasecmp(have, want) == 0; break;
    case C_LIKE:   r = hg_glob(want, have, 0); break;
    case C_ARN:    r = hg_glob(want, have, 0); break;
    case C_BOOL:   r = strcasecmp(have, want) == 0; break;
    case C_NUM_EQ: r = number(have, &a) && number(want, &b) && a == b; break;
    case C_NUM_LT: r = number(have, &a) && number(want, &b) && a < b; break;
    case C_NUM_LE: r = number(have, &a) && number(want, &b) && a <= b; break;
    case C_NUM_GT: r = number(have, &a) && number(want, &b) && a > b; break;
    case C_NUM_GE: r = number(have, &a) && number(want, &b) && a >= b; break;
    case C_NULL:   break;
    }
    free(sub);
    return r;
}

/* Does one "Operator": {"key": value(s), ...} block hold? Every key must. */
static int operator_holds(const cJSON *block, const iam_context *ctx)
{
    int if_exists, for_all;
    const cond_op *op = find_op(block->string, &if_exists, &for_all);
    if (!op) return 0;                      /* validated away; never allow on what we cannot read */
    const cJSON *kv;
    cJSON_ArrayForEach(kv, block) {
        const char *have = context_key(ctx, kv->string ? kv->string : "");
        if (op->cmp == C_NULL) {
            /* "Null": {"k": "true"} holds when k is absent */
            char buf[32];
            const cJSON *v = cJSON_IsArray(kv) ? kv->child : kv;
            const char *want = v ? value_text(v, buf, sizeof buf) : NULL;
            int absent = have == NULL;
            if (!want || (strcasecmp(want, "true") == 0) != absent) return 0;
            continue;
        }
        if (!have) {
            if (if_exists || for_all || op->negate) continue;   /* absent key: AWS's rules */
            return 0;
        }
        int any = 0;
        char buf[64];
        if (cJSON_IsArray(kv)) {
            const cJSON *v;
            cJSON_ArrayForEach(v, kv) {
                const char *want = value_text(v, buf, sizeof buf);
                if (want && compare(op->cmp, have, want, ctx)) { any = 1; break; }
            }
        } else {
            const char *want = value_text(kv, buf, sizeof buf);
            any = want && compare(op->cmp, have, want, ctx);
        }
        if (op->negate ? any : !any) return 0;
    }
    return 1;
}

static int statement_applies(const cJSON *st, const char *action, const char *resource, const iam_context *ctx,
                             int vars)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(st, "Action");
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(st, "NotAction");
    if (a ? !any_glob(a, action, 1, 0, ctx) : !(na && !any_glob(na, action, 1, 0, ctx))) return 0;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "Resource");
    const cJSON *nr = cJSON_GetObjectItemCaseSensitive(st, "NotResource");
    if (r ? !any_glob(r, resource, 0, vars, ctx) : !(nr && !any_glob(nr, resource, 0, vars, ctx))) return 0;
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");
    const cJSON *block;
    if (cJSON_IsObject(cond)) cJSON_ArrayForEach(block, cond)
        if (!operator_holds(block, ctx)) return 0;
    return 1;
}

/* Fold one document's statements into *allow / *deny. */
static void evaluate_doc(const cJSON *doc, const char *action, const char *resource, const iam_context *ctx,
                         int *allow, int *deny)
{
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "Version");
    int vars = cJSON_IsString(ver) && strcmp(ver->valuestring, "2012-10-17") == 0;
    const cJSON *sts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
    const cJSON *st = cJSON_IsArray(sts) ? sts->child : sts;
    for (; st; st = cJSON_IsArray(sts) ? st->next : NULL) {
        const cJSON *eff = cJSON_GetObjectItemCaseSensitive(st, "Effect");
        if (!cJSON_IsString(eff) || !statement_applies(st, action, resource, ctx, vars)) continue;
        if (strcmp(eff->valuestring, "Deny") == 0) *deny = 1;
        else if (strcmp(eff->valuestring, "Allow") == 0) *allow = 1;
    }
}

iam_decision iam_evaluate(const cJSON *policies, const char *action, const char *resource, const iam_context *ctx)
{
    static const iam_context none;
    if (!ctx) ctx = &none;
    int allow = 0, deny = 0;
    if (cJSON_IsArray(policies)) {
        const cJSON *doc;
        cJSON_ArrayForEach(doc, policies) evaluate_doc(doc, action, resource, ctx, &allow, &deny);
    } else if (cJSON_IsObject(policies)) {
        evaluate_doc(policies, action, resource, ctx, &allow, &deny);
    }
    return deny ? IAM_EXPLICIT_DENY : allow ? IAM_ALLOW : IAM_IMPLICIT_DENY;
}

static int strings_ok(const cJSON *v)
{
    if (cJSON_IsString(v)) return 1;
    if (!cJSON_IsArray(v) || !v->child) return 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, v) if (!cJSON_IsString(e)) return 0;
    return 1;
}

#define MALFORMED(err, ...) hg_err_set((err), 400, "MalformedPolicyDocument", __VA_ARGS__)

/* The checks IAM makes of a document, with its wording where AWS's is known
 * ("Syntax errors in policy.", "Missing required field Principal", "Has
 * prohibited field Resource", "Invalid effect: X", "Could not parse the
 * policy: Statement is empty!"); where it is not, that wording extended with
 * what is wrong. A trust policy (identity == 0) needs a Principal and may
 * not name resources; a permissions policy needs resources and may not name
 * a principal. Neither may be empty: a statement-less document grants
 * nothing and IAM refuses it. */
int iam_policy_validate(const cJSON *doc, int identity, hg_err *err)
{
    if (!cJSON_IsObject(doc)) return MALFORMED(err, "Syntax errors in policy.");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "Version");
    if (ver && (!cJSON_IsString(ver) || (strcmp(ver->valuestring, "2012-10-17") != 0 &&
                                          strcmp(ver->valuestring, "2008-10-17") != 0)))
        return MALFORMED(err, "The policy failed legacy parsing: Version must be 2012-10-17 or 2008-10-17");
    const cJSON *sts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
    if (!cJSON_IsObject(sts) && !(cJSON_IsArray(sts) && sts->child))
        return identity || (sts && !cJSON_IsArray(sts)) ? MALFORMED(err, "Syntax errors in policy.")
                                                        : MALFORMED(err, "Could not parse the policy: Statement is empty!");
    const cJSON *st = cJSON_IsArray(sts) ? sts->child : sts;
    for (int i = 1; st; st = cJSON_IsArray(sts) ? st->next : NULL, i++) {
        if (!cJSON_IsObject(st)) return MALFORMED(err, "Syntax errors in policy.");
        const cJSON *eff = cJSON_GetObjectItemCaseSensitive(st, "Effect");
        if (!eff) return MALFORMED(err, "Missing required field Effect");
        if (!cJSON_IsString(eff)) return MALFORMED(err, "Syntax errors in policy.");
        if (strcmp(eff->valuestring, "Allow") != 0 && strcmp(eff->valuestring, "Deny") != 0)
            return MALFORMED(err, "Invalid effect: %.64s", eff->valuestring);
        const cJSON *pr = cJSON_GetObjectItemCaseSensitive(st, "Principal");
        const cJSON *npr = cJSON_GetObjectItemCaseSensitive(st, "NotPrincipal");
        if (identity && (pr || npr)) return MALFORMED(err, "Policy document should not specify a principal.");
        if (!identity && !pr && !npr) return MALFORMED(err, "Missing required field Principal");
        if (!identity && pr && !cJSON_IsObject(pr) && !(cJSON_IsString(pr) && strcmp(pr->valuestring, "*") == 0))
            return MALFORMED(err, "Syntax errors in policy: statement %d's Principal must be an object", i);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(st, "Action");
        const cJSON *na = cJSON_GetObjectItemCaseSensitive(st, "NotAction");
        if (!a && !na) return MALFORMED(err, "Missing required field Action");
        if (a && na) return MALFORMED(err, "Syntax errors in policy: statement %d has both Action and NotAction", i);
        if (!strings_ok(a ? a : na))
            return MALFORMED(err, "Syntax errors in policy: statement %d's %s must be a string or a list of strings",
                             i, a ? "Action" : "NotAction");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "Resource");
        const cJSON *nr = cJSON_GetObjectItemCaseSensitive(st, "NotResource");
        if (!identity && (r || nr)) return MALFORMED(err, "Has prohibited field %s", r ? "Resource" : "NotResource");
        if (r && nr) return MALFORMED(err, "Syntax errors in policy: statement %d has both Resource and NotResource", i);
        if (identity && !r && !nr) return MALFORMED(err, "Policy statement must contain resources.");
        if ((r || nr) && !strings_ok(r ? r : nr))
            return MALFORMED(err, "Syntax errors in policy: statement %d's %s must be a string or a list of strings",
                             i, r ? "Resource" : "NotResource");
        const cJSON *cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");
        if (cond) {
            if (!cJSON_IsObject(cond)) return MALFORMED(err, "Syntax errors in policy: statement %d's Condition must be an object", i);
            const cJSON *block;
            cJSON_ArrayForEach(block, cond) {
                int ie, fa;
                if (!find_op(block->string, &ie, &fa))
                    return MALFORMED(err, "Syntax errors in policy: unknown condition operator '%.64s'", block->string);
                if (!cJSON_IsObject(block))
                    return MALFORMED(err, "Syntax errors in policy: condition %.64s must map keys to values", block->string);
            }
        }
    }
    return 0;
}

/*
 * permission.c — lambda_permission_check: may a service principal invoke a
 * function, according to the resource policy AddPermission built?
 *
 * The policy is priv.policy of the function record, in IAM's grammar
 * ({"Statement": [{Effect, Principal, Action, Resource, Condition}]}). A
 * statement grants when all of these hold (IAM's evaluation, restricted to
 * what resource policies of Lambda carry):
 *   1. Principal is "*", or {"Service"|"AWS": "*" | the principal | a list}.
 *   2. Action (string or list) matches lambda:InvokeFunction, with * / ?
 *      wildcards and without regard to case.
 *   3. Resource (string or list) matches the function ARN (or ARN:$LATEST).
 *   4. Every Condition operator holds: StringEquals/StringLike/ArnEquals/
 *      ArnLike (and their ...IfExists) on AWS:SourceArn and AWS:SourceAccount
 *      (keys without regard to case); any other key is absent from an
 *      invocation, so its condition fails unless it is an IfExists.
 * An explicit Deny that matches wins over every Allow.
 */
#include "lambda_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "hg_glob.h"

/* Does v (a string or a list of strings) have a value matching s? */
static int any_matches(const cJSON *v, const char *s, int wildcards, int fold)
{
    if (cJSON_IsString(v))
        return wildcards ? hg_glob(v->valuestring, s, fold)
                         : (fold ? strcasecmp(v->valuestring, s) : strcmp(v->valuestring, s)) == 0;
    const cJSON *e;
    if (cJSON_IsArray(v)) cJSON_ArrayForEach(e, v)
        if (any_matches(e, s, wildcards, fold)) return 1;
    return 0;
}

static int principal_ok(const cJSON *p, const char *principal)
{
    if (cJSON_IsString(p)) return strcmp(p->valuestring, "*") == 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, p) {
        if (!e->string) continue;
        if (strcasecmp(e->string, "Service") == 0 && any_matches(e, principal, 0, 1)) return 1;
        if (strcasecmp(e->string, "AWS") == 0 && any_matches(e, "*", 0, 0)) return 1;
    }
    return 0;
}

static int resource_ok(const cJSON *r, const char *fn_arn)
{
    char latest[320];
    snprintf(latest, sizeof latest, "%s:$LATEST", fn_arn);
    return any_matches(r, fn_arn, 1, 0) || any_matches(r, latest, 1, 0);
}

/* One operator block, e.g. "ArnLike": {"AWS:SourceArn": "..."}. */
static int operator_ok(const cJSON *op, const char *source_arn, const char *source_account)
{
    char name[64];
    snprintf(name, sizeof name, "%s", op->string ? op->string : "");
    size_t n = strlen(name);
    int if_exists = n > 8 && strcmp(name + n - 8, "IfExists") == 0;
    if (if_exists) name[n - 8] = '\0';
    int wild, fold = 0;
    if (strcmp(name, "StringEquals") == 0 || strcmp(name, "ArnEquals") == 0) wild = 0;
    else if (strcmp(name, "StringLike") == 0 || strcmp(name, "ArnLike") == 0) wild = 1;
    else if (strcmp(name, "StringEqualsIgnoreCase") == 0) { wild = 0; fold = 1; }
    else return 0;                                  /* an operator we cannot prove: no grant */
    const cJSON *kv;
    cJSON_ArrayForEach(kv, op) {
        const char *have = NULL;
        if (strcasecmp(kv->string, "AWS:SourceArn") == 0) have = source_arn;
        else if (strcasecmp(kv->string, "AWS:SourceAccount") == 0) have = source_account;
        if (!have) { if (if_exists) continue; return 0; }
        if (!any_matches(kv, have, wild, fold)) return 0;
    }
    return 1;
}

static int conditions_ok(const cJSON *cond, const char *source_arn, const char *source_account)
{
    const cJSON *op;
    cJSON_ArrayForEach(op, cond)
        if (!operator_ok(op, source_arn, source_account)) return 0;
    return 1;
}

int lambda_permission_check(const char *region, const char *function, const char *principal,
                            const char *source_arn, char *why, size_t why_cap, hg_err *err)
{
    hg_store *s = hg_store_get(err);
    if (!s) return -1;
    lambda_fn *f = NULL;
    if (lambda_fn_load(s, region, function, &f, err) != 0) return -1;
    /* this record's policy allowed the pair before: it still does */
    bool memo = principal && source_arn;
    if (memo && lambda_fn_granted(f, principal, source_arn)) {
        lambda_fn_free(f);
        return 0;
    }

    /* arn:aws:execute-api:region:ACCOUNT:... -> the caller's account */
    char account[16] = "";
    const char *p = source_arn;
    for (int i = 0; i < 4 && p; i++) { p = strchr(p, ':'); if (p) p++; }
    if (p) snprintf(account, sizeof account, "%.*s", (int)strcspn(p, ":"), p);

    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(f->priv, "policy");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(policy, "Statement");
    int allowed = 0, denied = 0, for_principal = 0;
    char seen[512] = "";                              /* SourceArn patterns of statements for this principal */
    const cJSON *st;
    cJSON_ArrayForEach(st, list) {
        const cJSON *effect = cJSON_GetObjectItemCaseSensitive(st, "Effect");
        if (!principal_ok(cJSON_GetObjectItemCaseSensitive(st, "Principal"), principal)) continue;
        if (!any_matches(cJSON_GetObjectItemCaseSensitive(st, "Action"), "lambda:InvokeFunction", 1, 1)) continue;
        if (!resource_ok(cJSON_GetObjectItemCaseSensitive(st, "Resource"), f->arn)) continue;
        for_principal++;
        const cJSON *cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");
        if (cJSON_IsObject(cond) && !conditions_ok(cond, source_arn, account)) {
            const cJSON *like = cJSON_GetObjectItemCaseSensitive(cond, "ArnLike");
            const cJSON *sa = like ? cJSON_GetObjectItemCaseSensitive(like, "AWS:SourceArn") : NULL;
            size_t used = strlen(seen);
            if (cJSON_IsString(sa) && used + 8 < sizeof seen)
                snprintf(seen + used, sizeof seen - used, "%s%s", used ? ", " : "", sa->valuestring);
            continue;
        }
        if (cJSON_IsString(effect) && strcmp(effect->valuestring, "Deny") == 0) denied = 1;
        else allowed = 1;
    }
    if (allowed && !denied) {
        if (memo) lambda_fn_grant(f, principal, source_arn);
        lambda_fn_free(f);
        return 0;
    }
    if (denied)
        snprintf(why, why_cap, "a Deny statement in the resource policy of %s matches %s calling "
                 "lambda:InvokeFunction from %s", f->arn, principal, source_arn);
    else if (for_principal && seen[0])
        snprintf(why, why_cap, "the resource policy of %s lets %s call lambda:InvokeFunction only from "
                 "%s, not from %s", f->arn, principal, seen, source_arn);
    else if (for_principal)
        snprintf(why, why_cap, "the conditions of the resource policy of %s do not let %s call "
                 "lambda:InvokeFunction from %s", f->arn, principal, source_arn);
    else
        snprintf(why, why_cap, "the resource policy of %s has no statement allowing principal %s "
                 "lambda:InvokeFunction (source %s)", f->arn, principal, source_arn);
    lambda_fn_free(f);
    return 1;
}

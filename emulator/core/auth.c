/*
 * auth.c — --auth enforce, the core half: the request's SigV4 signature
 * checked against the --iam file's keys, and each operation's action and
 * resource checked against the caller's policies (iam/policy.c).
 *
 * Each service words these failures its own way (DynamoDB answers 400
 * UnrecognizedClientException, Lambda 403, IAM InvalidClientTokenId...):
 * the table below holds those words, one row per service.
 */
#include "auth.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "config.h"
#include "hg_sigv4.h"
#include "iam.h"

typedef struct auth_words {
    const char *service;
    int status;                  /* of every auth failure but a denial */
    const char *unknown_key, *mismatch, *missing, *incomplete;
    int denied_status;
    const char *denied;
} auth_words;

static const auth_words words[] = {
    { "dynamodb",   400, "UnrecognizedClientException", "InvalidSignatureException",
      "MissingAuthenticationTokenException", "IncompleteSignatureException", 400, "AccessDeniedException" },
    { "logs",       400, "UnrecognizedClientException", "InvalidSignatureException",
      "MissingAuthenticationTokenException", "IncompleteSignatureException", 400, "AccessDeniedException" },
    { "lambda",     403, "UnrecognizedClientException", "InvalidSignatureException",
      "MissingAuthenticationTokenException", "IncompleteSignatureException", 403, "AccessDeniedException" },
    { "apigateway", 403, "UnrecognizedClientException", "InvalidSignatureException",
      "MissingAuthenticationTokenException", "IncompleteSignatureException", 403, "AccessDeniedException" },
    { "iam",        403, "InvalidClientTokenId", "SignatureDoesNotMatch",
      "MissingAuthenticationToken", "IncompleteSignature", 403, "AccessDenied" },
};

static const auth_words *words_for(const char *service)
{
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (service && strcmp(words[i].service, service) == 0) return &words[i];
    return &words[0];
}

#define MAX_HEADERS 128

typedef struct header_list { hg_sigv4_kv kv[MAX_HEADERS]; size_t n; int overflow; } header_list;

static void collect(void *ctx, const char *name, const char *value)
{
    header_list *h = ctx;
    if (h->n == MAX_HEADERS) { h->overflow = 1; return; }
    h->kv[h->n++] = (hg_sigv4_kv){ name, value };
}

int hg_auth_check(hg_request *req, hg_err *err)
{
    req->caller = NULL;
    if (!hg_cfg.auth_enforce) return 0;
    const auth_words *w = words_for(req->service);
    if (!req->raw_uri || !req->each_header)
        return hg_err_set(err, w->status, w->missing, "Request is missing Authentication Token");
    static _Thread_local header_list h;     /* 2 KB: kept off the worker's stack */
    h.n = 0;
    h.overflow = 0;
    req->each_header(req, collect, &h);
    if (h.overflow) return hg_err_set(err, w->status, w->incomplete, "Too many headers to verify a signature");
    const char *q = strchr(req->raw_uri, '?');
    hg_sigv4_msg m = {
        .method = req->method, .raw_path = req->raw_uri,
        .raw_path_len = q ? (size_t)(q - req->raw_uri) : strlen(req->raw_uri),
        .raw_query = q ? q + 1 : "", .headers = h.kv, .nheaders = h.n,
        .body = req->body, .body_len = req->body_len,
    };
    hg_sigv4_auth a;
    char why[600];
    switch (hg_sigv4_parse(&m, &a, why, sizeof why)) {
    case HG_SIGV4_OK: break;
    case HG_SIGV4_MISSING: return hg_err_set(err, w->status, w->missing, "%s", why);
    default: return hg_err_set(err, w->status, w->incomplete, "%s", why);
    }
    const char *secret = NULL;
    const iam_user *u = iam_identity_find(a.cred.access_key, &secret);
    if (!u) return hg_err_set(err, w->status, w->unknown_key, "The security token included in the request is invalid.");
    switch (hg_sigv4_verify(&m, &a, secret, time(NULL), why, sizeof why)) {
    case HG_SIGV4_OK: break;
    default: return hg_err_set(err, w->status, w->mismatch, "%s", why);
    }
    req->caller = u;
    return 0;
}

int hg_authorize(const hg_request *req, const char *action, const char *resource_arn, hg_err *err)
{
    if (!hg_cfg.auth_enforce) return 0;
    const iam_user *u = req->caller;
    const auth_words *w = words_for(req->service);
    if (!u) return hg_err_set(err, w->denied_status, w->denied, "Request is not signed by a known user");
    char ip[64];
    iam_context ctx = { .username = u->name, .userid = u->user_id, .principal_arn = u->arn,
                        .account = hg_cfg.account_id, .region = req->region,
                        .source_ip = req->peer_ip && req->peer_ip(req, ip, sizeof ip) == 0 ? ip : NULL };
    iam_decision d = iam_evaluate(u->policies, action, resource_arn, &ctx);
    if (d == IAM_ALLOW) return 0;
    if (d == IAM_EXPLICIT_DENY)
        return hg_err_set(err, w->denied_status, w->denied,
                          "User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an "
                          "identity-based policy", u->arn, action, resource_arn);
    return hg_err_set(err, w->denied_status, w->denied,
                      "User: %s is not authorized to perform: %s on resource: %s because no identity-based policy "
                      "allows the %s action", u->arn, action, resource_arn, action);
}

void hg_auth_caller(const hg_request *req, const char **arn, const char **user_id)
{
    static _Thread_local char root[64];
    if (req->caller) {
        *arn = req->caller->arn;
        *user_id = req->caller->user_id;
        return;
    }
    snprintf(root, sizeof root, "arn:aws:iam::%s:root", hg_cfg.account_id);
    *arn = root;
    *user_id = hg_cfg.account_id;
}

/*
 * auth.h — --auth enforce: who is calling (SigV4, checked once per request
 * by the router) and may they do this (asked by each service's dispatch).
 *
 * With --auth off (the default) both always succeed, so services call
 * hg_authorize unconditionally. The errors are each service's own: core
 * keeps one row per service (status and code for an unknown key, a bad
 * signature, a missing or incomplete one, and a denial), and the service
 * renders the hg_err in its shape through hg_service.render_error.
 */
#ifndef HG_AUTH_H
#define HG_AUTH_H

#include "http.h"

/* Verify req's signature and find its caller (req->caller). 0 when the
 * request may proceed; -1 with err in the owning service's wording. The
 * router calls this once, after a service claimed the request. */
int hg_auth_check(hg_request *req, hg_err *err);

/* May req's caller perform action ("dynamodb:PutItem") on resource_arn
 * ("*" for list operations)? 0 = allowed (always, with --auth off); -1 with
 * AccessDeniedException naming the caller's ARN, the action and the resource. */
int hg_authorize(const hg_request *req, const char *action, const char *resource_arn, hg_err *err);

/* The caller's ARN and user id for STS GetCallerIdentity: the user's, or
 * the account root's with --auth off. Borrowed strings. */
void hg_auth_caller(const hg_request *req, const char **arn, const char **user_id);

#endif

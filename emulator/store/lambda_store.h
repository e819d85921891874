/*
 * lambda_store.h — Lambda's storage, in names and JSON (the SQL is in lambda_store.c).
 *
 * A function is a row of lambda_functions keyed by (region, name): its public
 * FunctionConfiguration and its private state (code kind, policy, tags,
 * reserved concurrency) as JSON text owned by the lambda module, and the zip
 * bytes of a zip-packaged function (NULL for hot-reload folders). The lambda
 * module decides what the JSON means; this module only stores and orders.
 *
 * Returned strings and blobs are malloc'd: caller frees.
 * "Missing" is not an error: lookups return 1 for not found, 0 for found.
 * Read-check-write sequences (RevisionId preconditions, statement ids) run
 * inside hg_store_begin_write .. hg_store_commit, which the caller opens.
 */
#ifndef LAMBDA_STORE_H
#define LAMBDA_STORE_H

#include <stddef.h>
#include "store.h"

/* 0 found (*config / *priv malloc'd; either pointer may be NULL to skip), 1 missing. */
int lambda_store_get(hg_store *s, const char *region, const char *name,
                     char **config, char **priv, hg_err *err);
/* lambda_store_get for a caller that holds a parse of the record: when the
 * stored config and priv are byte for byte have_config and have_priv
 * (neither NULL) it answers 2 and copies nothing, else as lambda_store_get.
 * Comparing the texts, rather than trusting a change counter, keeps a cached
 * parse exactly as fresh as a read, however writes and commits interleave. */
int lambda_store_get_unless(hg_store *s, const char *region, const char *name,
                            const char *have_config, const char *have_priv,
                            char **config, char **priv, hg_err *err);
/* 1 while s has a transaction open (a record loaded inside one may be
 * changed and written back by its caller, so it must be the caller's own). */
int lambda_store_in_transaction(hg_store *s);
/* Insert a new function; 1 if (region, name) exists already. code may be NULL. */
int lambda_store_create(hg_store *s, const char *region, const char *name, const char *config,
                        const char *priv, const void *code, size_t code_len, hg_err *err);
/* Replace config and priv; the code too when set_code (code NULL = none).
 * 1 if the function is missing. */
int lambda_store_update(hg_store *s, const char *region, const char *name, const char *config,
                        const char *priv, int set_code, const void *code, size_t code_len, hg_err *err);
/* 1 if the function is missing. */
int lambda_store_delete(hg_store *s, const char *region, const char *name, hg_err *err);
/* The zip bytes: 0 found (*code malloc'd, NULL with *len 0 when the function
 * has no stored code), 1 missing function. */
int lambda_store_code(hg_store *s, const char *region, const char *name,
                      void **code, size_t *len, hg_err *err);
/* Configurations of functions in region with names after `after` (NULL =
 * from the start), ascending by name, at most limit. *configs is a malloc'd
 * array of malloc'd strings; free with lambda_store_list_free. */
int lambda_store_list(hg_store *s, const char *region, const char *after, int limit,
                      char ***configs, int *count, hg_err *err);
void lambda_store_list_free(char **configs, int count);

#endif

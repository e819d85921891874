/*
 * apigw_store.h — API Gateway's storage, in names and JSON (the SQL is in apigw_store.c).
 *
 * One table of JSON documents keyed by (region, api id, kind, id):
 *   kind "api"         id = api id; doc = {"api": RestApi, "resources": [Resource...]}
 *                      (the whole editable API in one row, so every change is
 *                      one read-modify-write)
 *   kind "deployment"  doc = the Deployment; aux = the frozen snapshot (resources array)
 *   kind "stage"       id = stage name; doc = the Stage
 * The apigateway module decides what the JSON means; this module only stores and orders.
 *
 * Returned strings are malloc'd: caller frees. "Missing" is not an error:
 * lookups return 1 for not found, 0 for found. Read-check-write sequences run
 * inside hg_store_begin_write .. hg_store_commit, which the caller opens.
 */
#ifndef APIGW_STORE_H
#define APIGW_STORE_H

#include "store.h"

/* 0 found (*doc / *aux malloc'd, either pointer may be NULL to skip; *aux is
 * NULL when the row has none), 1 missing. */
int apigw_store_get(hg_store *s, const char *region, const char *api_id, const char *kind,
                    const char *id, char **doc, char **aux, hg_err *err);
/* apigw_store_get of doc for a caller holding a parse of it: 2 (nothing
 * copied) when the stored doc is byte for byte have_doc, else as
 * apigw_store_get with aux NULL. Comparing the text keeps a cached parse
 * exactly as fresh as a read, however writes and commits interleave. */
int apigw_store_get_unless(hg_store *s, const char *region, const char *api_id, const char *kind,
                           const char *id, const char *have_doc, char **doc, hg_err *err);
/* One member of a row's doc, by SQLite JSON path ("$.api.binaryMediaTypes"),
 * as JSON text (*out malloc'd, NULL when the member is absent), without
 * copying or parsing the whole doc here. 0 found, 1 row missing. */
int apigw_store_get_member(hg_store *s, const char *region, const char *api_id, const char *kind,
                           const char *id, const char *path, char **out, hg_err *err);
/* Insert or replace one row. aux may be NULL. */
int apigw_store_put(hg_store *s, const char *region, const char *api_id, const char *kind,
                    const char *id, const char *doc, const char *aux, hg_err *err);
/* 1 if the row is missing. */
int apigw_store_delete(hg_store *s, const char *region, const char *api_id, const char *kind,
                       const char *id, hg_err *err);
/* Every row of an API (its document, deployments and stages); 1 if the API is missing. */
int apigw_store_delete_api(hg_store *s, const char *region, const char *api_id, hg_err *err);
/* Docs of kind in region (and api_id, unless NULL), ascending by id.
 * *docs is a malloc'd array of malloc'd strings; free with apigw_store_list_free. */
int apigw_store_list(hg_store *s, const char *region, const char *api_id, const char *kind,
                     char ***docs, int *count, hg_err *err);
void apigw_store_list_free(char **docs, int count);

#endif

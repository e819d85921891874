/*
 * hg_json.c — see hg_json.h.
 */
#include "hg_json.h"

const char *hg_json_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

void hg_json_set(cJSON *o, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(o, key))
        cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
    else
        cJSON_AddItemToObject(o, key, v);
}

cJSON *hg_json_parse_body(const char *body, size_t len)
{
    if (len == 0) return cJSON_CreateObject();
    /* len + 1 takes the NUL in, so require_null_terminated rejects any
     * byte after the value */
    return cJSON_ParseWithLengthOpts(body, len + 1, NULL, 1);
}

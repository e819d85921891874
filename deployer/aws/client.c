/*
 * client.c — the deployer's AWS client (see aws.h).
 *
 * Invariants:
 *  1. Every thread talks through its own CURL easy handle (found through a
 *     pthread key); the client owns all of them (a mutex-guarded list) and
 *     frees them in aws_client_free, so a worker thread exiting early leaks
 *     nothing and never frees a handle behind the client's back.
 *  2. Signing is libcurl's CURLOPT_AWS_SIGV4 ("aws:amz:<region>:<service>")
 *     with the access/secret pair as CURLOPT_USERPWD; a session token goes
 *     in X-Amz-Security-Token.
 *  3. A response body is capped (AWS_RESPONSE_MAX): a bigger one is an error,
 *     never an unbounded allocation.
 *  4. Transient failures (connection errors, 5xx, 429 and the throttling
 *     codes) are retried with exponential backoff and full jitter, at most
 *     max_retries times; anything else fails at once.
 *  5. A request is sent again only when that cannot make a second object:
 *     when it provably never left (no connection, nothing written), when
 *     the server refused it unprocessed (429, throttling), or when the
 *     operation is safe to repeat — reads, deletes, PUT/PATCH, and creates
 *     keyed by a name the caller chose, whose repeat answers a Conflict.
 *     Creates whose object gets a new server-chosen id each time
 *     (CreateRestApi, CreateDeployment, ...) are listed in resend_rules:
 *     after a possible delivery they fail with AWS_OUTCOME_UNKNOWN instead,
 *     on a fresh connection of their own (so libcurl's own silent resend on
 *     a dead reused connection cannot happen either), and the provider
 *     reconciles by reading back.
 */
#include "aws.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/rand.h>

#include "hg_buf.h"

#define AWS_RESPONSE_MAX   (64u << 20)   /* a GetFunction or an OpenAPI export is far smaller */
#define AWS_BACKOFF_BASE_MS 25            /* local endpoints answer in microseconds */
#define AWS_BACKOFF_CAP_MS  2000
#define AWS_TIMEOUT_S       60

typedef struct handle_node {
    CURL *curl;
    struct handle_node *next;
} handle_node;

struct aws_client {
    char *endpoint, *region, *access_key, *secret_key, *session_token;
    int max_retries;
    pthread_key_t key;
    pthread_mutex_t lock;        /* guards handles */
    handle_node *handles;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---- credentials ---------------------------------------------------------- */

/* Process-lifetime copies of what the shared credentials file says (invariant:
 * written once under cred_once, read-only afterwards). */
static char cred_access[256], cred_secret[256], cred_token[2048];
static pthread_once_t cred_once = PTHREAD_ONCE_INIT;

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

static void read_credentials_file(void)
{
    char path[4096];
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    if (!file || !*file) {
        const char *home = getenv("HOME");
        if (!home) return;
        snprintf(path, sizeof path, "%s/.aws/credentials", home);
        file = path;
    }
    const char *profile = getenv("AWS_PROFILE");
    if (!profile || !*profile) profile = "default";
    FILE *f = fopen(file, "r");
    if (!f) return;
    char line[4096];
    int in_profile = 0;
    while (fgets(line, sizeof line, f)) {
        char *l = trim(line);
        if (*l == '#' || *l == ';' || !*l) continue;
        if (*l == '[') {
            char *end = strchr(l, ']');
            if (end) *end = '\0';
            in_profile = strcmp(trim(l + 1), profile) == 0;
            continue;
        }
        if (!in_profile) continue;
        char *eq = strchr(l, '=');
        if (!eq) continue;
        *eq = '\0';
        char *k = trim(l), *v = trim(eq + 1);
        if (strcmp(k, "aws_access_key_id") == 0) snprintf(cred_access, sizeof cred_access, "%s", v);
        else if (strcmp(k, "aws_secret_access_key") == 0) snprintf(cred_secret, sizeof cred_secret, "%s", v);
        else if (strcmp(k, "aws_session_token") == 0) snprintf(cred_token, sizeof cred_token, "%s", v);
    }
    fclose(f);
}

void aws_config_credentials(aws_config *cfg)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    if (ak && *ak && sk && *sk) {
        cfg->access_key = ak;
        cfg->secret_key = sk;
        const char *tok = getenv("AWS_SESSION_TOKEN");
        cfg->session_token = tok && *tok ? tok : NULL;
        return;
    }
    pthread_once(&cred_once, read_credentials_file);
    if (cred_access[0] && cred_secret[0]) {
        cfg->access_key = cred_access;
        cfg->secret_key = cred_secret;
        cfg->session_token = cred_token[0] ? cred_token : NULL;
        return;
    }
    cfg->access_key = "test";
    cfg->secret_key = "test";
    cfg->session_token = NULL;
}

/* ---- client lifetime ------------------------------------------------------ */

static char *dup_or(const char *s, const char *dflt)
{
    return strdup(s && *s ? s : dflt);
}

aws_client *aws_client_new(const aws_config *cfg, hg_err *err)
{
    pthread_once(&curl_once, curl_init_once);
    aws_client *c = calloc(1, sizeof *c);
    if (!c) { hg_err_internal(err, "out of memory"); return NULL; }
    /* the endpoint without a trailing '/', so paths join with one */
    c->endpoint = dup_or(cfg->endpoint, "http://127.0.0.1:4566");
    c->region = dup_or(cfg->region, "us-east-1");
    c->access_key = dup_or(cfg->access_key, "test");
    c->secret_key = dup_or(cfg->secret_key, "test");
    c->session_token = cfg->session_token && *cfg->session_token ? strdup(cfg->session_token) : NULL;
    c->max_retries = cfg->max_retries > 0 ? cfg->max_retries : 4;
    if (!c->endpoint || !c->region || !c->access_key || !c->secret_key ||
        (cfg->session_token && *cfg->session_token && !c->session_token)) {
        aws_client_free(c);
        hg_err_internal(err, "out of memory");
        return NULL;
    }
    size_t n = strlen(c->endpoint);
    while (n && c->endpoint[n - 1] == '/') c->endpoint[--n] = '\0';
    if (strchr(c->access_key, ':')) {
        /* CURLOPT_USERPWD splits at the first ':' */
        aws_client_free(c);
        hg_err_validation(err, "the AWS access key id must not contain ':'");
        return NULL;
    }
    pthread_key_create(&c->key, NULL);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void aws_client_free(aws_client *c)
{
    if (!c) return;
    if (c->endpoint && c->region && c->access_key && c->secret_key &&
        !strchr(c->access_key, ':')) {
        /* fully constructed: key and mutex exist */
        for (handle_node *h = c->handles, *next; h; h = next) {
            next = h->next;
            curl_easy_cleanup(h->curl);
            free(h);
        }
        pthread_key_delete(c->key);
        pthread_mutex_destroy(&c->lock);
    }
    free(c->endpoint);
    free(c->region);
    free(c->access_key);
    free(c->secret_key);
    free(c->session_token);
    free(c);
}

const char *aws_client_region(const aws_client *c) { return c->region; }
const char *aws_client_endpoint(const aws_client *c) { return c->endpoint; }

/* This thread's easy handle (owned by the client, invariant 1). */
static CURL *thread_handle(aws_client *c, hg_err *err)
{
    CURL *curl = pthread_getspecific(c->key);
    if (curl) return curl;
    handle_node *h = malloc(sizeof *h);
    curl = curl_easy_init();
    if (!h || !curl) {
        free(h);
        if (curl) curl_easy_cleanup(curl);
        hg_err_internal(err, "cannot create an HTTP handle");
        return NULL;
    }
    h->curl = curl;
    pthread_mutex_lock(&c->lock);
    h->next = c->handles;
    c->handles = h;
    pthread_mutex_unlock(&c->lock);
    pthread_setspecific(c->key, curl);
    return curl;
}

/* ---- one HTTP exchange ---------------------------------------------------- */

typedef struct http_request {
    const char *service, *method, *path, *query;
    const char *body; size_t body_len;
    const char *content_type;
    const char *target;          /* X-Amz-Target, or NULL */
} http_request;

typedef struct http_response {
    long status;
    hg_buf body;
    char error_type[HG_ERR_CODE_MAX];   /* from x-amzn-ErrorType */
} http_response;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    http_response *r = ud;
    size_t len = size * n;
    return hg_buf_append(&r->body, p, len) == 0 ? len : 0;   /* 0 aborts: over the cap */
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    http_response *r = ud;
    size_t len = size * n;
    static const char name[] = "x-amzn-errortype:";
    if (len > sizeof name - 1 && strncasecmp(p, name, sizeof name - 1) == 0) {
        const char *v = p + sizeof name - 1;
        const char *end = p + len;
        while (v < end && (*v == ' ' || *v == '\t')) v++;
        size_t k = 0;
        /* "ResourceNotFoundException:http://internal.amazon.com/..." keeps the part before ':' */
        while (v < end && *v != ':' && *v != '\r' && *v != '\n' && k + 1 < sizeof r->error_type)
            r->error_type[k++] = *v++;
        r->error_type[k] = '\0';
    }
    return len;
}

/* Perform one request; returns the CURLcode (CURLE_OK with r->status set). */
static CURLcode perform(aws_client *c, CURL *curl, const http_request *q, http_response *r, int fresh)
{
    char url[8192], sigv4[256], userpwd[1024], hdr[4096];
    snprintf(url, sizeof url, "%s%s%s%s", c->endpoint, q->path, q->query && *q->query ? "?" : "",
             q->query ? q->query : "");
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:%s", c->region, q->service);
    snprintf(userpwd, sizeof userpwd, "%s:%s", c->access_key, c->secret_key);

    curl_easy_reset(curl);
    struct curl_slist *headers = NULL;
    if (q->content_type) {
        snprintf(hdr, sizeof hdr, "Content-Type: %s", q->content_type);
        headers = curl_slist_append(headers, hdr);
    }
    if (q->target) {
        snprintf(hdr, sizeof hdr, "X-Amz-Target: %s", q->target);
        headers = curl_slist_append(headers, hdr);
    }
    if (c->session_token) {
        snprintf(hdr, sizeof hdr, "X-Amz-Security-Token: %s", c->session_token);
        headers = curl_slist_append(headers, hdr);
    }
    /* No 100-continue round trip. libcurl before 8.3.0 signs a removed
     * header it then does not send (curl#11664), which an endpoint checking
     * signatures refuses; there bodies under 1 MB (curl's threshold) never
     * ask for 100-continue anyway, so only newer versions get "Expect:". */
    if (curl_version_info(CURLVERSION_NOW)->version_num >= 0x080300)
        headers = curl_slist_append(headers, "Expect:");

    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)AWS_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)AWS_RESPONSE_MAX);
    /* on a reused connection that died, libcurl resends by itself (invariant 5) */
    if (fresh) curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
    if (q->body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, q->body);
        if (strcmp(q->method, "POST") != 0) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, q->method);
    } else if (strcmp(q->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(q->method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, q->method);
    }
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(headers);
    return rc;
}

/* ---- which requests may be sent twice (invariant 5) ------------------------- */

typedef enum {
    RESEND_SAFE,      /* repeating it changes nothing, or answers a Conflict */
    RESEND_NEVER,     /* each call makes a new object: never resend once it may have arrived */
} resend_rule;

typedef struct resend_row {
    const char *service;
    const char *op;           /* REST: "METHOD /path" with '*' for one segment; JSON: the
                               * X-Amz-Target's operation; Query: the Action */
    resend_rule rule;
} resend_row;

/* Operations that are not safe to repeat; everything else is, but for an
 * unlisted REST POST, which is assumed unsafe (a create we do not know). */
static const resend_row resend_rules[] = {
    { "apigateway", "POST /restapis",                      RESEND_NEVER },  /* CreateRestApi, ImportRestApi */
    { "apigateway", "POST /restapis/*/deployments",        RESEND_NEVER },  /* CreateDeployment */
    { "apigateway", "POST /restapis/*/authorizers",        RESEND_NEVER },  /* CreateAuthorizer */
    { "apigateway", "POST /restapis/*/requestvalidators",  RESEND_NEVER },  /* CreateRequestValidator */
    { "apigateway", "POST /restapis/*/resources/*",        RESEND_SAFE },   /* CreateResource: pathPart keyed */
    { "apigateway", "POST /restapis/*/stages",             RESEND_SAFE },   /* CreateStage: stageName keyed */
    { "apigateway", "POST /restapis/*/models",             RESEND_SAFE },   /* CreateModel: name keyed */
    { "apigateway", "POST /apikeys",                       RESEND_NEVER },  /* CreateApiKey */
    { "apigateway", "POST /usageplans",                    RESEND_NEVER },  /* CreateUsagePlan */
    { "iam",        "CreateAccessKey",                     RESEND_NEVER },
    { "iam",        "CreateServiceSpecificCredential",     RESEND_NEVER },
    { "lambda",     "POST /2015-03-31/functions",          RESEND_SAFE },   /* CreateFunction: FunctionName keyed */
    { "lambda",     "POST /2015-03-31/functions/*/policy", RESEND_SAFE },   /* AddPermission: StatementId keyed */
    { "lambda",     "POST /2015-03-31/functions/*/invocations", RESEND_NEVER }, /* Invoke runs the code */
    { "lambda",     "POST /2015-03-31/functions/*/versions", RESEND_NEVER }, /* PublishVersion */
    { "lambda",     "POST /2017-03-31/tags/*",             RESEND_SAFE },   /* TagResource */
    { "lambda",     "POST /2015-03-31/event-source-mappings", RESEND_NEVER }, /* a new UUID each time */
};

/* Does the path (query excluded) match pattern, '*' standing for one segment? */
static int path_matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern == '*') {
            pattern++;
            while (*path && *path != '/') path++;
        } else if (*pattern++ != *path++) {
            return 0;
        }
    }
    return *pattern == '\0' && *path == '\0';
}

/* The operation's name for the table: "METHOD /path" for REST, the part of
 * X-Amz-Target after '.' for JSON, the Action for Query (form "Action=..."). */
static int row_matches(const resend_row *row, const http_request *q)
{
    if (strcmp(row->service, q->service) != 0) return 0;
    if (q->target) {
        const char *dot = strrchr(q->target, '.');
        return strcmp(row->op, dot ? dot + 1 : q->target) == 0;
    }
    const char *space = strchr(row->op, ' ');
    if (!space) {
        /* a Query-protocol action: the form starts "Action=<name>&" (aws_query_call) */
        size_t n = strlen(row->op);
        return q->body && q->body_len > 7 + n && strncmp(q->body, "Action=", 7) == 0 &&
               strncmp(q->body + 7, row->op, n) == 0 && (q->body[7 + n] == '&' || 7 + n == q->body_len);
    }
    size_t mlen = (size_t)(space - row->op);
    return strlen(q->method) == mlen && strncmp(q->method, row->op, mlen) == 0 && path_matches(space + 1, q->path);
}

static resend_rule resend_rule_of(const http_request *q)
{
    for (size_t i = 0; i < sizeof resend_rules / sizeof resend_rules[0]; i++)
        if (row_matches(&resend_rules[i], q)) return resend_rules[i].rule;
    int rest_post = !q->target && strcmp(q->method, "POST") == 0 && strcmp(q->path, "/") != 0;
    return rest_post ? RESEND_NEVER : RESEND_SAFE;
}

/* Did the request provably never reach the server? Only a failed connect
 * (or name lookup) or nothing written at all says so. */
static int never_sent(CURL *curl, CURLcode rc)
{
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST) return 1;
    long sent = -1;
    return curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &sent) == CURLE_OK && sent == 0;
}

static int transient_code(const char *code)
{
    static const char *const codes[] = {
        "ThrottlingException", "ProvisionedThroughputExceededException", "TooManyRequestsException",
        "Throttling", "RequestLimitExceeded", "LimitExceededException", "ServiceUnavailable", NULL,
    };
    for (int i = 0; codes[i]; i++)
        if (strcmp(code, codes[i]) == 0) return 1;
    return 0;
}

static int transient_curl(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_SEND_ERROR ||
           rc == CURLE_RECV_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_PARTIAL_FILE;
}

static void backoff(int attempt)
{
    unsigned long cap = AWS_BACKOFF_BASE_MS;
    for (int i = 0; i < attempt && cap < AWS_BACKOFF_CAP_MS; i++) cap *= 2;
    if (cap > AWS_BACKOFF_CAP_MS) cap = AWS_BACKOFF_CAP_MS;
    unsigned int r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1) r = (unsigned int)time(NULL);
    unsigned long ms = cap / 2 + r % (cap / 2 + 1);   /* half fixed, half jitter */
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Copy a JSON string member's text into dst (first of the names present). */
static void pick(const cJSON *o, const char *const *names, char *dst, size_t cap)
{
    for (int i = 0; names[i]; i++) {
        const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, names[i]));
        if (s) { snprintf(dst, cap, "%s", s); return; }
    }
}

/* Pull <Tag>text</Tag> out of XML (the first), into dst. */
static void xml_pick(const char *xml, const char *tag, char *dst, size_t cap)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(xml, open);
    if (!a) return;
    a += strlen(open);
    const char *b = strstr(a, close);
    if (!b) return;
    size_t n = (size_t)(b - a);
    if (n >= cap) n = cap - 1;
    memcpy(dst, a, n);
    dst[n] = '\0';
}

/* Decode an AWS error response into err (code from __type after '#', the
 * x-amzn-ErrorType header before ':', code/Code; message/Message). */
static void decode_error(const http_response *r, hg_err *err)
{
    char code[HG_ERR_CODE_MAX] = "", message[HG_ERR_MSG_MAX] = "";
    const char *text = hg_buf_cstr(&r->body);
    cJSON *o = r->body.len ? cJSON_ParseWithLength(text, r->body.len) : NULL;
    if (cJSON_IsObject(o)) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "__type"));
        if (type) {
            const char *hash = strrchr(type, '#');
            snprintf(code, sizeof code, "%s", hash ? hash + 1 : type);
        }
        if (!code[0] && r->error_type[0]) snprintf(code, sizeof code, "%s", r->error_type);
        static const char *const code_names[] = { "code", "Code", NULL };
        static const char *const msg_names[] = { "message", "Message", "errorMessage", NULL };
        if (!code[0]) pick(o, code_names, code, sizeof code);
        pick(o, msg_names, message, sizeof message);
    } else if (r->body.len && text[0] == '<') {
        xml_pick(text, "Code", code, sizeof code);
        xml_pick(text, "Message", message, sizeof message);
    }
    cJSON_Delete(o);
    if (!code[0] && r->error_type[0]) snprintf(code, sizeof code, "%s", r->error_type);
    if (!code[0]) {
        snprintf(code, sizeof code, "%s", r->status == 404 ? "NotFoundException"
                                          : r->status >= 500 ? "InternalFailure" : "HttpError");
    }
    if (!message[0]) snprintf(message, sizeof message, "HTTP %ld%s%.200s", r->status, r->body.len ? ": " : "", text);
    hg_err_set(err, (int)r->status, code, "%s", message);
}

/* Send with retries; on success r holds a 2xx response. */
static int exchange(aws_client *c, const http_request *q, http_response *r, hg_err *err)
{
    CURL *curl = thread_handle(c, err);
    if (!curl) return -1;
    int once = resend_rule_of(q) == RESEND_NEVER;
    for (int attempt = 0;; attempt++) {
        hg_buf_release(&r->body);
        hg_buf_init(&r->body, AWS_RESPONSE_MAX);
        r->status = 0;
        r->error_type[0] = '\0';
        CURLcode rc = perform(c, curl, q, r, once);
        int retry = 0;
        if (rc != CURLE_OK) {
            if (rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED)
                return hg_err_set(err, 502, "ResponseTooLarge", "%s %s: the response is over %u bytes",
                                  q->method, q->path, AWS_RESPONSE_MAX);
            retry = transient_curl(rc);
            if (retry && once && !never_sent(curl, rc))
                return hg_err_set(err, 503, AWS_OUTCOME_UNKNOWN, "%s %s%s: %s after the request was sent; "
                                  "not sent again, as a second one would make a second object",
                                  q->method, c->endpoint, q->path, curl_easy_strerror(rc));
            if (!retry || attempt >= c->max_retries)
                return hg_err_set(err, 503, "RequestError", "%s %s%s: %s", q->method, c->endpoint, q->path,
                                  curl_easy_strerror(rc));
        } else if (r->status >= 200 && r->status < 300) {
            return 0;
        } else {
            hg_err e;
            hg_err_clear(&e);
            decode_error(r, &e);
            /* a 5xx may come after the work was done; 429 and throttling come before */
            retry = r->status == 429 || transient_code(e.code) || (r->status >= 500 && !once);
            if (!retry || attempt >= c->max_retries) {
                hg_err_set(err, e.status, e.code, "%s", e.message);
                return -1;
            }
        }
        backoff(attempt);
    }
}

static int parse_json_body(const http_response *r, cJSON **out, hg_err *err)
{
    if (!out) return 0;
    *out = NULL;
    if (r->body.len == 0) return 0;
    *out = cJSON_ParseWithLength(hg_buf_cstr(&r->body), r->body.len);
    if (!*out) return hg_err_set(err, 502, "InvalidResponse", "the response is not JSON: %.200s",
                                 hg_buf_cstr(&r->body));
    return 0;
}

int aws_json_call(aws_client *c, const char *service, const char *target, const char *json_version,
                  const cJSON *body, cJSON **out, hg_err *err)
{
    if (out) *out = NULL;
    char *text = body ? cJSON_PrintUnformatted(body) : strdup("{}");
    if (!text) return hg_err_internal(err, "out of memory");
    char ctype[64];
    snprintf(ctype, sizeof ctype, "application/x-amz-json-%s", json_version ? json_version : "1.0");
    http_request q = { service, "POST", "/", NULL, text, strlen(text), ctype, target };
    http_response r = { 0 };
    hg_buf_init(&r.body, AWS_RESPONSE_MAX);
    int rc = exchange(c, &q, &r, err);
    if (rc == 0) rc = parse_json_body(&r, out, err);
    hg_buf_release(&r.body);
    cJSON_free(text);
    return rc;
}

int aws_rest_raw_call(aws_client *c, const char *service, const char *method, const char *path,
                      const char *query, const char *body, size_t body_len, const char *content_type,
                      cJSON **out, hg_err *err)
{
    if (out) *out = NULL;
    http_request q = { service, method, path, query, body, body_len, body ? content_type : NULL, NULL };
    http_response r = { 0 };
    hg_buf_init(&r.body, AWS_RESPONSE_MAX);
    int rc = exchange(c, &q, &r, err);
    if (rc == 0) rc = parse_json_body(&r, out, err);
    hg_buf_release(&r.body);
    return rc;
}

int aws_rest_call(aws_client *c, const char *service, const char *method, const char *path,
                  const char *query, const cJSON *body, cJSON **out, hg_err *err)
{
    char *text = NULL;
    if (body && !(text = cJSON_PrintUnformatted(body))) return hg_err_internal(err, "out of memory");
    int rc = aws_rest_raw_call(c, service, method, path, query, text, text ? strlen(text) : 0,
                               "application/json", out, err);
    cJSON_free(text);
    return rc;
}

static int form_append(hg_buf *b, const char *name, const char *value)
{
    char *n = aws_url_encode(name), *v = aws_url_encode(value);
    int rc = n && v ? hg_buf_printf(b, "%s%s=%s", b->len ? "&" : "", n, v) : -1;
    free(n);
    free(v);
    return rc;
}

int aws_query_call(aws_client *c, const char *service, const char *action, const char *version,
                   const char *const *params, char **xml, hg_err *err)
{
    *xml = NULL;
    hg_buf form;
    hg_buf_init(&form, 1u << 20);
    int bad = form_append(&form, "Action", action) || form_append(&form, "Version", version);
    for (int i = 0; !bad && params && params[i] && params[i + 1]; i += 2)
        bad = form_append(&form, params[i], params[i + 1]);
    if (bad) {
        hg_buf_release(&form);
        return hg_err_validation(err, "%s: the request parameters are too large", action);
    }
    http_request q = { service, "POST", "/", NULL, hg_buf_cstr(&form), form.len,
                       "application/x-www-form-urlencoded; charset=utf-8", NULL };
    http_response r = { 0 };
    hg_buf_init(&r.body, AWS_RESPONSE_MAX);
    int rc = exchange(c, &q, &r, err);
    if (rc == 0) {
        *xml = r.body.data ? hg_buf_steal(&r.body) : strdup("");
        if (!*xml) rc = hg_err_internal(err, "out of memory");
    }
    hg_buf_release(&r.body);
    hg_buf_release(&form);
    return rc;
}

char *aws_url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    if (n > (SIZE_MAX - 1) / 3) return NULL;
    char *out = malloc(n * 3 + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

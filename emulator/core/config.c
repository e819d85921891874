/* config.c — flags of hangar-emulator; see config.h. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>
#include "acceptor.h"          /* hg_acceptor_default_workers */
#include "hg_parse.h"

hg_config hg_cfg;

static const char usage[] =
"Usage: hangar-emulator [options]\n"
"\n"
"A local AWS emulator: DynamoDB (and later Lambda, API Gateway) on one port.\n"
"\n"
"Options:\n"
"  --port N            TCP port to listen on (default 4566; 0 picks a free port\n"
"                      and prints it)\n"
"  --host ADDR         address to bind (default 127.0.0.1, loopback only)\n"
"  --data DIR          persist all state in SQLite under DIR (created if\n"
"                      missing); without it, state lives in memory and is lost\n"
"                      when the process exits\n"
"  --region R          region for requests that carry no SigV4 credential scope\n"
"                      (default us-east-1)\n"
"  --account-id ID     12-digit account id used in ARNs (default 000000000000)\n"
"  --log-level L       error | warn | info | debug (default info; info logs one\n"
"                      line per request)\n"
"  --ttl-interval S    seconds between DynamoDB TTL expiry sweeps (default 5;\n"
"                      fractions allowed)\n"
"  --threads N         HTTP worker threads (default: half the CPUs, at least 1),\n"
"                      plus one standby for when every worker is stuck in a\n"
"                      long request\n"
"  --connection-timeout S\n"
"                      close a connection idle (or trickling bytes) for S seconds\n"
"                      (default 120)\n"
"  --lambda-idle S     seconds before an idle Lambda execution environment is\n"
"                      reclaimed (default 600)\n"
"  --lambda-retry-delay S\n"
"                      delay before the first retry of a failed asynchronous\n"
"                      (Event) invoke; the second waits twice as long (default 1)\n"
"  --auth MODE         off (default: any signature or none is accepted) or\n"
"                      enforce (SigV4 verified against --iam's keys, and every\n"
"                      operation checked against the caller's IAM policies)\n"
"  --iam FILE          users, access keys and policies (JSON), required with\n"
"                      --auth enforce: {\"users\":[{\"name\",\"accessKeys\":\n"
"                      [{\"accessKeyId\",\"secretAccessKey\"}],\"policies\":[...]}]}\n"
"  --version           print the version and exit\n"
"  --help              show this help and exit\n";

static int valid_region(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-')) return 0;
    return 1;
}

int hg_config_parse(hg_config *cfg, int argc, char **argv, FILE *out, FILE *err)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = 4566;
    strcpy(cfg->region, "us-east-1");
    strcpy(cfg->account_id, "000000000000");
    cfg->log_level = HG_LOG_INFO;
    cfg->ttl_interval = 5.0;
    cfg->lambda_idle_s = 600;
    cfg->conn_timeout_s = 120;
    cfg->lambda_retry_s = 1;
    cfg->threads = hg_acceptor_default_workers(ncpu);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { fputs(usage, out); return 1; }
        if (strcmp(a, "--version") == 0) { fprintf(out, "hangar-emulator %s\n", HANGAR_VERSION); return 1; }
        /* every other flag takes a value, as "--flag V" or "--flag=V" */
        const char *name = a, *val = NULL;
        char namebuf[32];
        const char *eq = strchr(a, '=');
        if (eq && (size_t)(eq - a) < sizeof namebuf) {
            memcpy(namebuf, a, (size_t)(eq - a));
            namebuf[eq - a] = '\0';
            name = namebuf;
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        }
        uint64_t u;
        if (strcmp(name, "--port") == 0) {
            if (!val || hg_parse_u64z(val, 65535, &u) != 0) goto bad_value;
            cfg->port = (unsigned)u;
        } else if (strcmp(name, "--host") == 0) {
            if (!val || !*val) goto bad_value;
            cfg->host = val;
        } else if (strcmp(name, "--data") == 0) {
            if (!val || !*val) goto bad_value;
            cfg->data_dir = val;
        } else if (strcmp(name, "--region") == 0) {
            if (!val || !valid_region(val)) goto bad_value;
            strcpy(cfg->region, val);
        } else if (strcmp(name, "--account-id") == 0) {
            if (!val || strlen(val) != 12 || hg_parse_u64z(val, 999999999999ULL, &u) != 0) goto bad_value;
            strcpy(cfg->account_id, val);
        } else if (strcmp(name, "--log-level") == 0) {
            if (!val || hg_log_parse_level(val, &cfg->log_level) != 0) goto bad_value;
        } else if (strcmp(name, "--ttl-interval") == 0) {
            if (!val || hg_parse_seconds(val, 86400, &cfg->ttl_interval) != 0 || cfg->ttl_interval < 0.05)
                goto bad_value;
        } else if (strcmp(name, "--lambda-idle") == 0) {
            if (!val || hg_parse_seconds(val, 86400, &cfg->lambda_idle_s) != 0) goto bad_value;
        } else if (strcmp(name, "--lambda-retry-delay") == 0) {
            if (!val || hg_parse_seconds(val, 3600, &cfg->lambda_retry_s) != 0) goto bad_value;
        } else if (strcmp(name, "--auth") == 0) {
            if (!val || (strcmp(val, "off") != 0 && strcmp(val, "enforce") != 0)) goto bad_value;
            cfg->auth_enforce = strcmp(val, "enforce") == 0;
        } else if (strcmp(name, "--iam") == 0) {
            if (!val || !*val) goto bad_value;
            cfg->iam_file = val;
        } else if (strcmp(name, "--connection-timeout") == 0) {
            if (!val || hg_parse_u64z(val, 86400, &u) != 0 || u == 0) goto bad_value;
            cfg->conn_timeout_s = (unsigned)u;
        } else if (strcmp(name, "--threads") == 0) {
            if (!val || hg_parse_u64z(val, 256, &u) != 0 || u == 0) goto bad_value;
            cfg->threads = (unsigned)u;
        } else {
            fprintf(err, "hangar-emulator: unknown option '%s' (see --help)\n", a);
            return -1;
        }
        continue;
bad_value:
        fprintf(err, "hangar-emulator: invalid or missing value for %s%s%s (see --help)\n",
                name, val ? ": " : "", val ? val : "");
        return -1;
    }
    if (cfg->auth_enforce && !cfg->iam_file) {
        fprintf(err, "hangar-emulator: --auth enforce needs --iam FILE (the users, keys and policies)\n");
        return -1;
    }
    if (strcmp(cfg->host, "127.0.0.1") != 0 && strcmp(cfg->host, "::1") != 0 && strcmp(cfg->host, "localhost") != 0)
        fprintf(err, "hangar-emulator: warning: --host %s is not loopback: anyone who can reach it can use this "
                "emulator%s\n", cfg->host, cfg->auth_enforce ? "" : " (and --auth is off)");
    return 0;
}

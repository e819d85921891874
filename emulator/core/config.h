/*
 * config.h — the emulator's command-line configuration.
 * Filled once by hg_config_parse in main() before any thread starts, then
 * read-only: every module may read hg_cfg without locking.
 */
#ifndef HG_CONFIG_H
#define HG_CONFIG_H

#include <stdio.h>
#include "hg_log.h"

typedef struct hg_config {
    const char  *host;          /* bind address, default 127.0.0.1 */
    unsigned     port;          /* default 4566; 0 = pick a free port */
    const char  *data_dir;      /* NULL = state in memory */
    char         region[33];    /* default region when a request carries none */
    char         account_id[13];
    hg_log_level log_level;
    double       ttl_interval;  /* seconds between TTL sweeps */
    unsigned     threads;       /* HTTP worker threads */
    unsigned     conn_timeout_s;/* idle connections (slow clients) are closed after this */
    double       lambda_idle_s; /* idle Lambda environments are reclaimed after this */
    double       lambda_retry_s;/* first retry delay of a failed Event invoke (second: 2x) */
    int          auth_enforce;  /* --auth enforce: SigV4 verified, IAM policies evaluated */
    const char  *iam_file;      /* --iam FILE: users, keys, policies (required with enforce) */
} hg_config;

extern hg_config hg_cfg;

/* Parse argv into cfg. Returns 0 to run, 1 when the program should exit 0
 * (--help, --version, already printed to out), -1 on a bad flag (message
 * printed to err). */
int hg_config_parse(hg_config *cfg, int argc, char **argv, FILE *out, FILE *err);

#endif

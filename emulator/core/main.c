/*
 * main.c — hangar-emulator: parse flags, open storage, start the services
 * and the HTTP server, print where we listen, and wait for SIGINT/SIGTERM.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "hg_log.h"
#include "iam.h"
#include "server.h"
#include "service.h"
#include "store.h"

int main(int argc, char **argv)
{
    int rc = hg_config_parse(&hg_cfg, argc, argv, stdout, stderr);
    if (rc != 0) return rc > 0 ? 0 : 2;
    hg_log_threshold = hg_cfg.log_level;

    /* Block the stop signals before any thread exists, so every thread
     * inherits the mask and only sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    hg_err err;
    hg_err_clear(&err);
    if (hg_cfg.auth_enforce && iam_identity_load(hg_cfg.iam_file, hg_cfg.account_id, &err) != 0) {
        fprintf(stderr, "hangar-emulator: %s\n", err.message);
        return 2;
    }
    if (hg_store_init(hg_cfg.data_dir, &err) != 0) {
        fprintf(stderr, "hangar-emulator: %s\n", err.message);
        return 1;
    }
    int started = 0;
    for (; hg_services[started]; started++) {
        if (hg_services[started]->init(&err) != 0) {
            fprintf(stderr, "hangar-emulator: starting %s: %s\n", hg_services[started]->name, err.message);
            goto out;
        }
    }
    hg_server *srv;
    unsigned port;
    if (hg_server_start(&srv, &port, &err) != 0) {
        fprintf(stderr, "hangar-emulator: %s\n", err.message);
        rc = 1;
        goto out;
    }
    hg_log(HG_LOG_INFO, "state: %s", hg_store_location());
    hg_log(HG_LOG_INFO, "default region %s, account %s, %u worker thread%s and a standby", hg_cfg.region,
           hg_cfg.account_id, hg_cfg.threads, hg_cfg.threads == 1 ? "" : "s");
    hg_log(HG_LOG_INFO, "auth: %s", hg_cfg.auth_enforce ? "enforce (SigV4 and IAM policies)" : "off");
    printf("hangar-emulator listening on http://%s%s%s:%u\n",
           strchr(hg_cfg.host, ':') ? "[" : "", hg_cfg.host, strchr(hg_cfg.host, ':') ? "]" : "", port);
    fflush(stdout);

    int sig;
    sigwait(&stop, &sig);
    hg_log(HG_LOG_INFO, "signal %d: shutting down", sig);
    hg_server_stop(srv);
    rc = 0;
out:
    while (started-- > 0) hg_services[started]->shutdown();
    hg_store_shutdown();
    iam_identity_free();
    return rc != 0 ? 1 : 0;
}

/* The benchmarks' ceiling: the most any server on this HTTP stack can answer
 * here. libmicrohttpd with the emulator's threading set-up (the emulator's
 * own acceptor, emulator/core/acceptor.c, handing connections to --threads
 * daemons of one polling thread each, plus the same standby, with the same
 * connection limits)
 * answering every request, whatever its method, path or body, with one
 * fixed DynamoDB-shaped JSON body. It does no work, so the emulator's figure
 * over this one is the share its own code leaves.
 *
 *   cc -O2 -pthread -Iemulator/core -o ceiling bench/ceiling.c emulator/core/acceptor.c \
 *      $(pkg-config --cflags --libs libmicrohttpd)
 *   ./ceiling --port 18001 --threads 2
 *
 * Runs until SIGINT or SIGTERM. Prints "ceiling listening on PORT" once ready.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "acceptor.h"

/* About the size of a GetItem answer for the benchmark's items. */
static const char FIXED_BODY[] =
    "{\"Item\":{\"pk\":{\"S\":\"k000042\"},\"n\":{\"N\":\"42\"},"
    "\"payload\":{\"S\":\"0123456789abcdef0123456789abcdef\"}}}";

static struct MHD_Response *fixed_response;    /* shared by every worker; freed at exit */
/* Reads (and drops) the body like the emulator does, then queues the fixed answer. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
    (void)cls; (void)url; (void)method; (void)version; (void)upload_data;
    static int headers_seen;                     /* only its address is used, as a marker */
    if (*req_cls == NULL) { *req_cls = &headers_seen; return MHD_YES; }
    if (*upload_data_size) { *upload_data_size = 0; return MHD_YES; }
    return MHD_queue_response(conn, MHD_HTTP_OK, fixed_response);
}

/* One worker of the acceptor: the emulator's daemon options, minus its callbacks. */
static struct MHD_Daemon *start_worker(void *ctx, unsigned i, unsigned extra_flags,
                                       MHD_NotifyConnectionCallback notify, void *notify_cls,
                                       unsigned conn_limit)
{
    (void)ctx; (void)i;
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG | extra_flags, 0,
        NULL, NULL, on_request, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, notify, notify_cls,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
        MHD_OPTION_CONNECTION_LIMIT, conn_limit,
        MHD_OPTION_END);
}

static unsigned parse_uint(const char *s, const char *flag)
{
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > 65535) {
        fprintf(stderr, "ceiling: %s wants a number 0..65535, got '%s'\n", flag, s);
        exit(2);
    }
    return (unsigned)v;
}

int main(int argc, char **argv)
{
    unsigned port = 18001, threads = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = parse_uint(argv[++i], "--port");
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = parse_uint(argv[++i], "--threads");
        else { fprintf(stderr, "usage: ceiling [--port N] [--threads N]\n"); return 2; }
    }
    if (threads == 0) threads = hg_acceptor_default_workers(sysconf(_SC_NPROCESSORS_ONLN));

    fixed_response = MHD_create_response_from_buffer(sizeof FIXED_BODY - 1, (void *)FIXED_BODY,
                                                     MHD_RESPMEM_PERSISTENT);
    if (!fixed_response) { fprintf(stderr, "ceiling: out of memory\n"); return 1; }
    MHD_add_response_header(fixed_response, "Content-Type", "application/x-amz-json-1.0");
    MHD_add_response_header(fixed_response, "x-amzn-RequestId", "00000000-0000-0000-0000-000000000000");

    /* SIGINT/SIGTERM blocked before the workers start (they inherit the mask)
     * and taken with sigwait: a signal arriving at any moment, even before
     * the ready line, stops the server (a flag and pause() could miss it). */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    struct sockaddr_in loopback = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    loopback.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* loopback only, like the emulator */
    hg_acceptor *acceptor;
    char why[160];
    if (hg_acceptor_start((struct sockaddr *)&loopback, sizeof loopback, threads, 1, 4096 / threads + 1,
                          start_worker, NULL, &acceptor, why, sizeof why) != 0) {
        fprintf(stderr, "ceiling: cannot listen on port %u: %s\n", port, why);
        MHD_destroy_response(fixed_response);
        return 1;
    }
    printf("ceiling listening on %u with %u threads\n", hg_acceptor_port(acceptor), threads);
    fflush(stdout);

    int sig;
    sigwait(&stop_signals, &sig);
    hg_acceptor_stop(acceptor);
    MHD_destroy_response(fixed_response);
    return 0;
}

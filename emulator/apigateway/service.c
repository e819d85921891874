/* service.c — stub until the API Gateway service lands. */
#include "service.h"

static int init(hg_err *err) { (void)err; return 0; }
static void shutdown_(void) {}
static int claims(const hg_request *req) { (void)req; return 0; }
static void handle(hg_request *req, hg_response *resp) { (void)req; (void)resp; }
static const char *state(void) { return "starting"; }

const hg_service hg_apigateway_service = {
    .name = "apigateway", .init = init, .shutdown = shutdown_, .claims = claims, .handle = handle, .state = state,
};

/*
 * service.h — what core knows of a service: one row of the services table
 * in router.c. A service claims the requests that are its own (by
 * X-Amz-Target, path or Host) and handles them; core does everything else
 * (body caps, request ids, access log, writing the response).
 */
#ifndef HG_SERVICE_H
#define HG_SERVICE_H

#include "http.h"

typedef struct hg_service {
    const char *name;                                    /* "dynamodb" */
    int   (*init)(hg_err *err);                          /* once, before serving */
    void  (*shutdown)(void);                             /* once, after serving */
    int   (*claims)(const hg_request *req);              /* is this request ours? */
    void  (*handle)(hg_request *req, hg_response *resp); /* fill resp, never fails */
    const char *(*state)(void);                          /* for /_hangar/health */
    /* --auth enforce: render a signature or access error in the service's
     * own error shape (NULL: core writes {"__type","message"} JSON) */
    void  (*render_error)(hg_request *req, hg_response *resp, const hg_err *err);
    /* 1 when this request is not SigV4-signed by design (API Gateway
     * invocations); NULL means every request must be signed */
    int   (*unsigned_ok)(const hg_request *req);
} hg_service;

/* The services, in the order the router asks them. NULL-terminated. */
extern const hg_service *const hg_services[];

/* Route one request: health, then each service's claims(); fills resp. */
void hg_route(hg_request *req, hg_response *resp);

#endif

/*
 * valgrind_budget.h — time budgets for unit tests that scripts/valgrind-unit.sh
 * also runs under valgrind memcheck, where the same code runs 20-50x slower.
 * A budget is how long something may take before the test calls it hung: it
 * grows under valgrind, so a slow-but-correct run is not a failure. Deadlines
 * the code under test must enforce (a 0.2 s handler timeout) stay as they are.
 */
#ifndef HG_VALGRIND_BUDGET_H
#define HG_VALGRIND_BUDGET_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* valgrind's client request when its header is installed (it answers even when
 * valgrind is run by hand); otherwise the variable valgrind-unit.sh exports */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HG_HAVE_VALGRIND_H 1
#endif
#endif

#define HG_VALGRIND_SLOWDOWN 25.0

static inline bool under_valgrind(void)
{
#ifdef HG_HAVE_VALGRIND_H
    if (RUNNING_ON_VALGRIND) return true;
#endif
    const char *v = getenv("HANGAR_UNDER_VALGRIND");
    return v && strcmp(v, "1") == 0;
}

/* seconds, scaled for valgrind's slowdown when running under it */
static inline double budget(double seconds)
{
    return under_valgrind() ? seconds * HG_VALGRIND_SLOWDOWN : seconds;
}

#endif

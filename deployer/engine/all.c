/*
 * all.c — `--all`: every project below a folder, ordered by stack references.
 * Not written yet (another helper's job); until then it says so clearly.
 */
#include "engine.h"

int eng_run_all(state_db *db, aws_client *aws, const char *root, const eng_opts *o, hg_err *err)
{
    (void)db; (void)aws; (void)o;
    return hg_err_set(err, 501, "NotImplemented", "--all (every project below %s) is not implemented yet",
                      root ? root : ".");
}

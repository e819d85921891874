/*
 * builtin.h — what the command files share (builtin/common.c): stack
 * selection, the project's name and region, and the one driver behind
 * up / preview / destroy / refresh.
 *
 * Stack selection, first match wins: --stack; HANGAR_STACK or PULUMI_STACK;
 * the stack chosen with `hangar stack select` (the file .hangar/stack in the
 * project folder); the only Pulumi.<stack>.yaml beside Pulumi.yaml; else an
 * error listing the candidates.
 */
#ifndef HG_BUILTIN_H
#define HG_BUILTIN_H

#include "engine.h"
#include "hangar.h"

/* The selected stack (new string) or -1 after printing why not. */
int   hangar_stack_pick(const hangar_globals *g, const char *flag, char **out);
/* Write the selected stack for the project in dir (.hangar/stack). */
int   hangar_stack_save(const char *dir, const char *stack);
/* The project's name from Pulumi.yaml in dir (new), or NULL with err set. */
char *hangar_project_name(const char *dir, hg_err *err);
/* aws:region from Pulumi.<stack>.yaml (new), or NULL. */
char *hangar_stack_region(const char *dir, const char *stack);
/* Shared by up, preview, destroy and refresh: parse flags, confirm, run. */
int   hangar_run_command(int argc, char **argv, const hangar_globals *g, eng_mode mode, const char *name);
/* Is s one of a command's -h/--help spellings? */
int   hangar_is_help(const char *s);

#endif

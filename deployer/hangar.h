/*
 * hangar.h — the deployer CLI: a git-style table of commands, one file each
 * under builtin/.
 *
 * To add a command: write builtin/<name>.c with
 *     int cmd_<name>(int argc, char **argv, const hangar_globals *g);
 * declare it below and add a row to the commands[] table in main.c (kept
 * sorted; a unit test checks it). main.c parses the global options once
 * (--endpoint, --region, -C/--cwd, --help, --version) before dispatch;
 * commands parse their own flags and print their own --help.
 * Commands return the process exit status (0 ok, 1 failure, 2 usage);
 * `return error(...)` style: hangar_error() prints "error: ..." to stderr and
 * returns 1.
 */
#ifndef HANGAR_H
#define HANGAR_H

#include <stdbool.h>
#include "aws.h"
#include "hg_error.h"
#include "state.h"

typedef struct hangar_globals {
    const char *endpoint;     /* --endpoint, HANGAR_ENDPOINT, or http://127.0.0.1:4566 */
    const char *region;       /* --region, else the stack's aws:region, AWS_REGION, us-east-1 */
    const char *cwd;          /* -C/--cwd, default "." */
    const char *home;         /* $HANGAR_HOME or ~/.hangar */
    bool        interactive;  /* stdin and stdout are terminals */
} hangar_globals;

typedef struct hangar_cmd {
    const char *name;
    int (*fn)(int argc, char **argv, const hangar_globals *g);
    const char *summary;
} hangar_cmd;

int hangar_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the state database and an AWS client for a stack's region; both freed by the caller. */
int hangar_open(const hangar_globals *g, const char *region, state_db **db, aws_client **aws, hg_err *err);

int cmd_config(int argc, char **argv, const hangar_globals *g);
int cmd_destroy(int argc, char **argv, const hangar_globals *g);
int cmd_preview(int argc, char **argv, const hangar_globals *g);
int cmd_refresh(int argc, char **argv, const hangar_globals *g);
int cmd_stack(int argc, char **argv, const hangar_globals *g);
int cmd_up(int argc, char **argv, const hangar_globals *g);
int cmd_version(int argc, char **argv, const hangar_globals *g);

#endif

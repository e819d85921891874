/*
 * report.c — what the user sees of a run, as Pulumi shows it.
 *
 * Human form (Pulumi's non-interactive "diff" display):
 *     Updating (dev)
 *
 *      +  aws:dynamodb:Table notes created (0.05s)
 *      ~  aws:dynamodb:Table notes updated (0.02s) [diff: ~billingMode]
 *      +- aws:dynamodb:Table notes replaced (0.10s) [diff: ~hashKey]
 *      -  aws:dynamodb:Table old deleted (0.01s)
 *
 *     Outputs:
 *         tableName: "notes-1a2b3c4"
 *
 *     Resources:
 *         + 1 created
 *         2 unchanged
 *
 *     Duration: 0.12s
 * A preview says "create"/"+ 1 to create" instead of the past tense.
 *
 * JSON form (--json): one object per line — preludeEvent, resourceEvent,
 * diagnosticEvent, outputsEvent, summaryEvent — for scripts.
 * Callers hold the run's mutex when workers may be printing.
 */
#include "eng_internal.h"
#include "secrets.h"

#include <stdlib.h>
#include <string.h>

static FILE *out_of(const eng_run_ctx *r) { return r->o->out ? r->o->out : stdout; }

static bool preview(const eng_run_ctx *r) { return r->o->mode == ENG_PREVIEW; }

static void emit_json(const eng_run_ctx *r, cJSON *ev)
{
    char *s = cJSON_PrintUnformatted(ev);
    if (s) { fprintf(out_of(r), "%s\n", s); free(s); }
    cJSON_Delete(ev);
    fflush(out_of(r));
}

static cJSON *event(const char *type)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", type);
    return ev;
}

void rep_begin(eng_run_ctx *r)
{
    static const char *const words[] = { [ENG_UP] = "Updating", [ENG_PREVIEW] = "Previewing update",
                                         [ENG_DESTROY] = "Destroying", [ENG_REFRESH] = "Refreshing" };
    if (r->o->json) {
        cJSON *ev = event("preludeEvent");
        cJSON_AddStringToObject(ev, "stack", r->stack);
        cJSON_AddStringToObject(ev, "project", r->project ? r->project : "");
        cJSON_AddStringToObject(ev, "operation", words[r->o->mode]);
        emit_json(r, ev);
        return;
    }
    fprintf(out_of(r), "%s (%s)\n\n", words[r->o->mode], r->stack);
    fflush(out_of(r));
}

static const char *symbol(eng_op op)
{
    switch (op) {
    case OP_CREATE: return " +  ";
    case OP_UPDATE: return " ~  ";
    case OP_REPLACE: return " +- ";
    case OP_DELETE: return " -  ";
    default: return "    ";
    }
}

static const char *verb(eng_op op, bool done)
{
    switch (op) {
    case OP_CREATE: return done ? "created" : "create";
    case OP_UPDATE: return done ? "updated" : "update";
    case OP_REPLACE: return done ? "replaced" : "replace";
    case OP_DELETE: return done ? "deleted" : "delete";
    case OP_READ: return done ? "read" : "read";
    default: return done ? "unchanged" : "same";
    }
}

static const char *type_of(const eng_node *n) { return n->pr ? n->pr->type : n->old ? n->old->type : "?"; }
static const char *name_of(const eng_node *n) { return n->pr ? n->pr->name : n->old ? n->old->name : "?"; }

void rep_step(eng_run_ctx *r, const eng_node *n, eng_op op, bool done, double seconds)
{
    if (r->o->json) {
        cJSON *ev = event("resourceEvent");
        cJSON_AddStringToObject(ev, "op", eng_op_name(op));
        cJSON_AddStringToObject(ev, "urn", n->urn);
        cJSON_AddStringToObject(ev, "resourceType", type_of(n));
        cJSON_AddStringToObject(ev, "name", name_of(n));
        cJSON_AddStringToObject(ev, "status", done ? "done" : "planned");
        cJSON_AddItemToObject(ev, "diffs", n->diff.changed ? cJSON_Duplicate(n->diff.changed, 1) : cJSON_CreateArray());
        if (n->diff.replace_by) cJSON_AddItemToObject(ev, "replaceReasons", cJSON_Duplicate(n->diff.replace_by, 1));
        if (done) cJSON_AddNumberToObject(ev, "durationSeconds", seconds);
        emit_json(r, ev);
        return;
    }
    FILE *f = out_of(r);
    fprintf(f, "%s%s %s %s", symbol(op), type_of(n), name_of(n), verb(op, done));
    if (done) fprintf(f, " (%.2fs)", seconds);
    if ((op == OP_UPDATE || op == OP_REPLACE) && n->diff.changed) {
        fputs(" [diff: ", f);
        const cJSON *c;
        bool first = true;
        cJSON_ArrayForEach(c, n->diff.changed) {
            fprintf(f, "%s~%s", first ? "" : ", ", c->valuestring);
            first = false;
        }
        fputc(']', f);
    }
    fputc('\n', f);
    fflush(f);
}

void rep_step_error(eng_run_ctx *r, const eng_node *n, const hg_err *e)
{
    if (r->o->json) {
        cJSON *ev = event("diagnosticEvent");
        cJSON_AddStringToObject(ev, "severity", "error");
        cJSON_AddStringToObject(ev, "urn", n->urn);
        cJSON_AddStringToObject(ev, "op", eng_op_name(n->op));
        cJSON_AddStringToObject(ev, "code", e->code);
        cJSON_AddStringToObject(ev, "message", e->message);
        emit_json(r, ev);
        return;
    }
    static const char *const ing[] = { [OP_SAME] = "updating", [OP_CREATE] = "creating", [OP_UPDATE] = "updating",
                                       [OP_REPLACE] = "replacing", [OP_DELETE] = "deleting", [OP_READ] = "reading" };
    fprintf(out_of(r), "%s%s %s **%s failed** error: %s%s%s\n", symbol(n->op), type_of(n), name_of(n), ing[n->op],
            e->code, e->code[0] ? ": " : "", e->message);
    fflush(out_of(r));
}

void rep_refresh(eng_run_ctx *r, const char *urn, const char *type, bool gone)
{
    const char *name = strrchr(urn, ':');
    name = name ? name + 1 : urn;
    if (r->o->json) {
        cJSON *ev = event("resourceEvent");
        cJSON_AddStringToObject(ev, "op", gone ? "delete" : "update");
        cJSON_AddStringToObject(ev, "urn", urn);
        cJSON_AddStringToObject(ev, "resourceType", type);
        cJSON_AddStringToObject(ev, "status", "refreshed");
        emit_json(r, ev);
        return;
    }
    fprintf(out_of(r), "%s%s %s %s\n", gone ? " -  " : " ~  ", type, name,
            gone ? "deleted (no longer exists)" : "updated (outputs refreshed)");
    fflush(out_of(r));
}

/* In place: every plaintext secret becomes its value (--show-secrets), the
 * counterpart of secrets_blind. Outputs reach the report before they are
 * sealed for the state, so the plaintext is at hand and no passphrase is asked. */
static void unwrap_secrets(cJSON *v)
{
    if (!v) return;
    for (cJSON *ch = v->child; ch; ch = ch->next) {
        if (prog_is_sig(ch, PROG_SIG_SECRET)) {
            cJSON *inner = cJSON_DetachItemFromObjectCaseSensitive(ch, "value");
            if (!inner) continue;   /* sealed: left for secrets_blind below */
            /* ReplaceItemViaPointer keeps no key: give the new item its own */
            free(inner->string);
            inner->string = NULL;
            if (ch->string && !(inner->string = strdup(ch->string))) { cJSON_Delete(inner); continue; }
            if (!cJSON_ReplaceItemViaPointer(v, ch, inner)) { cJSON_Delete(inner); continue; }
            ch = inner;
        }
        unwrap_secrets(ch);
    }
}

/* A value as Pulumi prints an output: strings quoted, secrets hidden unless
 * shown, unknowns as output<string>. */
static void print_value(FILE *f, const cJSON *v, bool show_secrets)
{
    if (prog_is_sig(v, PROG_SIG_SECRET) && !show_secrets) { fputs("[secret]", f); return; }
    if (prog_has_unknown(v)) { fputs("output<string>", f); return; }
    cJSON *shown = cJSON_CreateArray();
    if (shown) cJSON_AddItemToArray(shown, cJSON_Duplicate(v, 1));
    if (show_secrets) unwrap_secrets(shown);
    secrets_blind(shown);   /* secrets nested in lists and objects too */
    char *s = shown && shown->child ? cJSON_PrintUnformatted(shown->child) : NULL;
    fputs(s ? s : "null", f);
    free(s);
    cJSON_Delete(shown);
}

void rep_outputs(eng_run_ctx *r, const cJSON *outputs)
{
    if (!outputs || !outputs->child) return;
    bool show = r->o->show_secrets;
    if (r->o->json) {
        cJSON *ev = event("outputsEvent");
        cJSON *shown = cJSON_Duplicate(outputs, 1);
        if (show) unwrap_secrets(shown);
        secrets_blind(shown);   /* as the text form: "[secret]" unless --show-secrets */
        cJSON_AddItemToObject(ev, "outputs", shown);
        emit_json(r, ev);
        return;
    }
    FILE *f = out_of(r);
    fputs("\nOutputs:\n", f);
    const cJSON *o;
    cJSON_ArrayForEach(o, outputs) {
        fprintf(f, "    %s: ", o->string);
        print_value(f, o, show);
        fputc('\n', f);
    }
    fflush(f);
}

void rep_summary(eng_run_ctx *r)
{
    const eng_summary *s = r->sum;
    bool pv = preview(r);
    if (r->o->json) {
        cJSON *ev = event("summaryEvent");
        cJSON *c = cJSON_AddObjectToObject(ev, "resourceChanges");
        if (s->create) cJSON_AddNumberToObject(c, "create", s->create);
        if (s->update) cJSON_AddNumberToObject(c, "update", s->update);
        if (s->replace) cJSON_AddNumberToObject(c, "replace", s->replace);
        if (s->remove) cJSON_AddNumberToObject(c, "delete", s->remove);
        if (s->same) cJSON_AddNumberToObject(c, "same", s->same);
        if (s->failed) cJSON_AddNumberToObject(c, "failed", s->failed);
        cJSON_AddBoolToObject(ev, "changed", s->changed);
        cJSON_AddNumberToObject(ev, "durationSeconds", s->seconds);
        emit_json(r, ev);
        return;
    }
    FILE *f = out_of(r);
    fputs("\nResources:\n", f);
    struct { int n; const char *sym, *past, *future; } rows[] = {
        { s->create, "+ ", "created", "to create" },
        { s->update, "~ ", "updated", "to update" },
        { s->replace, "+-", "replaced", "to replace" },
        { s->remove, "- ", "deleted", "to delete" },
    };
    bool any = false;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].n) {
            fprintf(f, "    %s%d %s\n", rows[i].sym, rows[i].n, pv ? rows[i].future : rows[i].past);
            any = true;
        }
    if (s->same || !any) fprintf(f, "    %d unchanged\n", s->same);
    if (s->failed) fprintf(f, "    %d failed\n", s->failed);
    fprintf(f, "\nDuration: %.2fs\n", s->seconds);
    fflush(f);
}

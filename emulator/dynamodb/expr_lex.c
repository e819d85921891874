/*
 * expr_lex.c — the tokenizer shared by all five expression languages.
 *
 * Tokens carry byte spans into the original text rather than copies, so the
 * parser can quote the exact source in "Syntax error; token: ..., near: ..."
 * messages. Keywords (AND, SET, BETWEEN, ...) are plain identifiers here; the
 * parser decides what is a keyword where, since each language has its own.
 */
#include "expr_internal.h"

void ddb_lex_init(ddb_lexer *lx, const char *text, size_t len)
{
    lx->text = text;
    lx->len = len;
    lx->pos = 0;
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_part(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

ddb_tok ddb_lex_next(ddb_lexer *lx)
{
    ddb_tok t = { TK_EOF, 0, 0 };
    const unsigned char *s = (const unsigned char *)lx->text;

    while (lx->pos < lx->len && is_space(s[lx->pos]))
        lx->pos++;
    t.start = lx->pos;
    if (lx->pos >= lx->len)
        return t;

    unsigned char c = s[lx->pos];
    size_t p = lx->pos + 1;
    unsigned char next = p < lx->len ? s[p] : 0;

    if (is_ident_start(c)) {
        while (p < lx->len && is_ident_part(s[p]))
            p++;
        t.type = TK_IDENT;
    } else if (c >= '0' && c <= '9') {
        while (p < lx->len && s[p] >= '0' && s[p] <= '9')
            p++;
        t.type = TK_INT;
    } else if (c == '#' || c == ':') {
        /* A placeholder needs at least one name character after the sigil;
         * a lone '#' or ':' is a syntax error at that character. */
        while (p < lx->len && is_ident_part(s[p]))
            p++;
        t.type = p > lx->pos + 1 ? (c == '#' ? TK_NAME_REF : TK_VALUE_REF) : TK_BAD;
    } else {
        switch (c) {
        case '(': t.type = TK_LPAREN; break;
        case ')': t.type = TK_RPAREN; break;
        case '[': t.type = TK_LBRACK; break;
        case ']': t.type = TK_RBRACK; break;
        case ',': t.type = TK_COMMA; break;
        case '.': t.type = TK_DOT; break;
        case '+': t.type = TK_PLUS; break;
        case '-': t.type = TK_MINUS; break;
        case '=': t.type = TK_EQ; break;
        case '<':
            if (next == '>') { t.type = TK_NE; p++; }
            else if (next == '=') { t.type = TK_LE; p++; }
            else t.type = TK_LT;
            break;
        case '>':
            if (next == '=') { t.type = TK_GE; p++; }
            else t.type = TK_GT;
            break;
        default:
            /* Keep a whole UTF-8 sequence together so the message quotes a
             * character, not half of one. */
            t.type = TK_BAD;
            if (c >= 0xC0)
                while (p < lx->len && (s[p] & 0xC0) == 0x80)
                    p++;
            break;
        }
    }
    t.len = p - lx->pos;
    lx->pos = p;
    return t;
}

bool ddb_tok_is_kw(const ddb_lexer *lx, const ddb_tok *t, const char *kw)
{
    if (t->type != TK_IDENT)
        return false;
    size_t i;
    for (i = 0; i < t->len; i++) {
        unsigned char a = (unsigned char)lx->text[t->start + i];
        unsigned char b = (unsigned char)kw[i];
        if (!b)
            return false;
        if (a >= 'a' && a <= 'z')
            a = (unsigned char)(a - 'a' + 'A');
        if (a != b)
            return false;
    }
    return kw[i] == '\0';
}

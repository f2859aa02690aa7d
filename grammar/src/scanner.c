/*
 * External scanner of the goc grammar: `<` and `<-`.
 *
 * `<-` is one token wherever a send or a receive can be: `c<-1;` is a send
 * (as in Go, never the useless comparison C would read) and `x = <-c` a
 * receive. Where neither can be, in every other expression, `a<-1` is C's
 * `a < -1` (SQLite writes `if( Y<-4713 ...`): C stays C. tree-sitter's own
 * lexer cannot tell these apart by itself, since a state in which only `<`
 * is valid would still lex a `<-` token if the grammar had one; this scanner
 * looks at which of the two the parse state accepts.
 *
 * `<=`, `<<`, `<<=` and `<system_header.h>` are left to the generated lexer.
 */

#include "tree_sitter/parser.h"

enum TokenType {
  LESS,           /* '<'  */
  ARROW,          /* '<-' */
  ERROR_SENTINEL, /* valid only during error recovery */
};

void *tree_sitter_goc_external_scanner_create(void) { return NULL; }

void tree_sitter_goc_external_scanner_destroy(void *payload) { (void)payload; }

unsigned tree_sitter_goc_external_scanner_serialize(void *payload, char *buffer) {
  (void)payload;
  (void)buffer;
  return 0;
}

void tree_sitter_goc_external_scanner_deserialize(void *payload, const char *buffer,
                                                  unsigned length) {
  (void)payload;
  (void)buffer;
  (void)length;
}

static bool is_space(int32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool tree_sitter_goc_external_scanner_scan(void *payload, TSLexer *lexer,
                                           const bool *valid_symbols) {
  (void)payload;
  /* During error recovery every symbol is valid; let the generated lexer
   * decide, so that `#include <x.h>` and friends recover as in C. */
  if (valid_symbols[ERROR_SENTINEL]) return false;
  if (!valid_symbols[LESS] && !valid_symbols[ARROW]) return false;

  while (is_space(lexer->lookahead)) lexer->advance(lexer, true);
  if (lexer->lookahead != '<') return false;
  lexer->advance(lexer, false);

  if (lexer->lookahead == '-') {
    if (!valid_symbols[ARROW]) {
      /* No send or receive can be here (`if (Y<-4713)`, `x = a<-1;`):
       * C's `<` then `-`, as gcc reads it. */
      if (!valid_symbols[LESS]) return false;
      lexer->mark_end(lexer);
      lexer->result_symbol = LESS;
      return true;
    }
    lexer->advance(lexer, false);
    lexer->mark_end(lexer);
    lexer->result_symbol = ARROW;
    return true;
  }
  if (lexer->lookahead == '=' || lexer->lookahead == '<') return false;
  if (!valid_symbols[LESS]) return false;
  lexer->mark_end(lexer);
  lexer->result_symbol = LESS;
  return true;
}

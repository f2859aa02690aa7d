/*
 * External scanner of the goc grammar: `<` and `<-`.
 *
 * In Go, `<-` is one token wherever it appears, so `a<-1` is a send and
 * never `a < -1`. tree-sitter's own lexer only looks for the tokens that are
 * valid in the current parse state, so where a send or a receive cannot
 * appear it would split `<-` into `<` and `-`. Scanning `<` here, in every
 * state where it is valid, makes `<-` one token everywhere: where it does
 * not fit, the parse reports an error instead of reading a comparison.
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

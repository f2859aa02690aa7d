#ifndef TREE_SITTER_GOC_H_
#define TREE_SITTER_GOC_H_

/* The goc grammar: C (tree-sitter-c 0.23.6) with Go-style concurrency.
 * Node names and fields are listed in grammar/README.md. */

typedef struct TSLanguage TSLanguage;

#ifdef __cplusplus
extern "C" {
#endif

/* The goc language, for ts_parser_set_language(). Never NULL; the parser
 * tables are ABI 14, which libtree-sitter 0.20 and later load. */
const TSLanguage *tree_sitter_goc(void);

#ifdef __cplusplus
}
#endif

#endif /* TREE_SITTER_GOC_H_ */

/**
 * @file goc grammar for tree-sitter: C with Go-style concurrency.
 *
 * Extends tree-sitter-c (pinned in package.json) the way tree-sitter-cpp
 * does: every new form is an alternative added to a base rule.
 *
 * New syntax: chan(T), chan<-(T), <-chan(T), chan_make(T, n), <-ch, ch <- v;, v, ok = <-ch;,
 * for (T v : ch), select { case ...: }, go f(x);, go { ... }.
 *
 * The words go, chan, chan_make and select are keywords only where the new
 * syntax can start. Wherever such a keyword is lexed, the grammar also lets
 * it stand for a plain identifier (_keyword_identifier), and the GLR parser
 * keeps both readings until one dies or dynamic precedence picks one. So
 * `int select(int, fd_set *, ...)`, `select(n, &r, 0, 0, &tv)`,
 * `chan = chan + 1;` and `s.go` parse as in C.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

const C = require('tree-sitter-c/grammar');

const PREC = C.PREC;
const commaSep1 = C.commaSep1;

// Dynamic precedences that choose between the goc and the plain C reading
// of the same text.
const DYN = {
  // `go (*fp)(x);` is a go statement, not a call of a function named go.
  GO_CALL: 3,
  // `go(1);` is a call of a function named go, not `go` on a non-call.
  GO_OTHER: -2,
  // `v, ok = <-ch;` is a receive statement, not a comma expression.
  RECEIVE_STATEMENT: 3,
  // `chan_make(T, 1)` makes a channel, it is not a call of chan_make.
  CHAN_MAKE: 2,
  // `chan(x);` calls a function named chan; it declares nothing.
  EMPTY_DECLARATION: -3,
  // `chan<-(T) x;` declares x; it does not send `(T)x` on a variable named
  // chan. `<-chan(T)` in a cast or sizeof is a type, not a receive from a
  // call of a function named chan.
  DIRECTIONAL_CHAN: 2,
};

module.exports = grammar(C, {
  name: 'goc',

  externals: $ => [
    // `<` goes through the scanner so that `<-` is one token everywhere,
    // even where the grammar does not expect it (`if (a<-1)` is an error,
    // as in Go, not a comparison).
    '<',
    '<-',
    $._error_sentinel,
  ],

  conflicts: ($, original) => original.concat([
    [$._keyword_identifier, $.go_statement],
    [$.go_statement, $.expression],
    [$._keyword_identifier, $.channel_type],
    [$._keyword_type_identifier, $.channel_type, $._keyword_identifier],
    [$._keyword_type_identifier, $._keyword_identifier],
    [$._keyword_type_identifier, $.channel_type],
    [$._declaration_modifiers, $.abstract_parenthesized_declarator],
    [$._declarator, $._declaration_declarator],
    [$._declaration_modifiers, $.parenthesized_declarator, $.abstract_parenthesized_declarator],
    [$._keyword_identifier, $.chan_make_expression],
    [$.receive_statement, $.expression],
    [$.attributed_declarator, $.parameter_declaration],
    [$.pointer_declarator, $.abstract_pointer_declarator],
    [$._declaration_modifiers, $.attributed_null_statement],
    [$._declaration_modifiers, $.type_definition],
    [$._declaration_modifiers, $.attributed_null_statement, $.type_definition],
  ]),

  rules: {
    // Statements

    _top_level_statement: ($, original) => choice(
      original,
      $.for_range_statement,
      $.select_statement,
      $.go_statement,
    ),

    // `select:` and `go:` stay usable as labels.
    labeled_statement: $ => seq(
      field('label', choice(
        $._statement_identifier,
        alias(choice('go', 'select', 'chan', 'chan_make'), $.statement_identifier),
      )),
      ':',
      choice($.declaration, $.statement),
    ),

    send_statement: $ => seq(
      field('channel', $._send_channel),
      '<-',
      field('value', $.expression),
      ';',
    ),

    receive_statement: $ => prec.dynamic(DYN.RECEIVE_STATEMENT, seq(
      field('value', $._assignment_left_expression),
      ',',
      field('ok', $._assignment_left_expression),
      '=',
      $._receive_tail,
      ';',
    )),

    for_range_statement: $ => seq(
      'for',
      '(',
      $._declaration_specifiers,
      field('declarator', $._declarator),
      ':',
      field('channel', $.expression),
      ')',
      field('body', $.statement),
    ),

    select_statement: $ => seq(
      'select',
      '{',
      repeat($.select_case),
      '}',
    ),

    select_case: $ => prec.right(seq(
      choice(
        seq('case', field('operation', choice(
          $.receive_expression,
          $.receive_assignment,
          $.receive_declaration,
          $.send_clause,
        ))),
        'default',
      ),
      ':',
      repeat(field('body', choice(
        $._non_case_statement,
        $.declaration,
        $.type_definition,
      ))),
    )),

    receive_assignment: $ => seq(
      field('value', $._assignment_left_expression),
      optional(seq(',', field('ok', $._assignment_left_expression))),
      '=',
      $._receive_tail,
    ),

    receive_declaration: $ => seq(
      $._declaration_specifiers,
      field('declarator', $._declarator),
      '=',
      $._receive_tail,
    ),

    send_clause: $ => seq(
      field('channel', $._send_channel),
      '<-',
      field('value', $.expression),
    ),

    // The `<- ch` that ends a receive statement or case binds like the
    // receive operator, as in Go: in `v, ok = <-a + b;` the channel is `a`, and the
    // statement is not a receive statement.
    _receive_tail: $ => prec.left(PREC.CAST, seq(
      '<-',
      field('channel', $.expression),
    )),

    // The channel of a send is any expression but an assignment, a
    // conditional or a comma expression (none of them is an operand in Go),
    // so that `x = a <- 1;` is an error rather than a send on `x = a`.
    _send_channel: $ => choice(
      $.binary_expression,
      $.unary_expression,
      $.update_expression,
      $.cast_expression,
      $.pointer_expression,
      $.sizeof_expression,
      $.alignof_expression,
      $.offsetof_expression,
      $.generic_expression,
      $.subscript_expression,
      $.call_expression,
      $.field_expression,
      $.compound_literal_expression,
      $.identifier,
      $.number_literal,
      $._string,
      $.true,
      $.false,
      $.null,
      $.char_literal,
      $.parenthesized_expression,
      $.gnu_asm_expression,
      $.extension_expression,
      $.receive_expression,
      $.chan_make_expression,
      $._keyword_identifier,
    ),

    go_statement: $ => choice(
      prec.dynamic(DYN.GO_CALL, seq('go', field('call', $.call_expression), ';')),
      prec.dynamic(DYN.GO_OTHER, seq('go', field('call', $.expression), ';')),
      seq('go', field('body', $.compound_statement)),
    ),

    _empty_declaration: ($, original) => prec.dynamic(DYN.EMPTY_DECLARATION, original),

    // GNU C and C11 forms that tree-sitter-c 0.23.6 lacks and that real
    // code (glibc's headers after preprocessing, csmith, compiler test
    // suites) uses. goc parses the preprocessed translation unit, so every
    // form gcc accepts must parse.

    // `goto *p;` (labels as values).
    goto_statement: ($, original) => choice(
      original,
      seq('goto', '*', field('target', $.expression), ';'),
    ),

    // A switch body is any statement: `switch (x) case 1: f();`. A case
    // label as the whole body labels one statement only (tree-sitter-c's
    // case_statement takes every statement up to the next label).
    switch_statement: $ => seq(
      'switch',
      field('condition', $.parenthesized_expression),
      field('body', choice(
        $.compound_statement,
        alias($._single_case_statement, $.case_statement),
        $._non_case_statement,
      )),
    ),
    _single_case_statement: $ => seq(
      choice(
        seq('case', field('value', $.expression), optional(seq('...', field('high', $.expression)))),
        'default',
      ),
      ':',
      choice(alias($._single_case_statement, $.case_statement), $._non_case_statement),
    ),

    // Case ranges: `case 1 ... 5:`.
    case_statement: $ => prec.right(seq(
      choice(
        seq('case', field('value', $.expression), optional(seq('...', field('high', $.expression)))),
        'default',
      ),
      ':',
      repeat(choice(
        $._non_case_statement,
        $.declaration,
        $.type_definition,
      )),
    )),

    // `__attribute__((fallthrough));` and other attributes on a null
    // statement.
    _non_case_statement: ($, original) => choice(
      original,
      $.send_statement,
      $.receive_statement,
      $.for_range_statement,
      $.select_statement,
      $.go_statement,
      $.attributed_null_statement,
    ),
    attributed_null_statement: $ => seq(repeat1($.attribute_specifier), ';'),

    // `int y __attribute__((aligned(8)));`, `int x __attribute__((cleanup(f))) = 0;`: GNU attributes after a
    // declarator, as C23's [[...]] (tree-sitter-c's attributed_declarator).
    // A function declarator keeps its own trailing attributes (dynamic -1).
    attributed_declarator: $ => prec.dynamic(-1, prec.right(seq(
      field('declarator', $._declarator),
      repeat1(choice($.attribute_declaration, $.attribute_specifier)),
    ))),

    // Attributes after the `*` of a pointer declarator:
    // `struct cmsghdr *__attribute__((__nothrow__)) __cmsg_nxthdr(...)`.
    pointer_declarator: $ => prec.dynamic(1, prec.right(seq(
      optional($.ms_based_modifier),
      '*',
      repeat($.ms_pointer_modifier),
      repeat(choice($.type_qualifier, $.attribute_specifier)),
      field('declarator', $._declarator),
    ))),
    pointer_field_declarator: $ => prec.dynamic(1, prec.right(seq(
      optional($.ms_based_modifier),
      '*',
      repeat($.ms_pointer_modifier),
      repeat(choice($.type_qualifier, $.attribute_specifier)),
      field('declarator', $._field_declarator),
    ))),

    // GCC's attributes around a typedef's type: `__attribute__((deprecated))
    // typedef int T;` (CPython's Py_DEPRECATED) and `typedef int
    // __attribute__((aligned(8))) T;`.
    type_definition: $ => seq(
      choice(optional('__extension__'), repeat1($.attribute_specifier)),
      'typedef',
      $._type_definition_type,
      $._type_definition_declarators,
      repeat($.attribute_specifier),
      ';',
    ),
    _type_definition_type: $ => seq(
      repeat(choice($.type_qualifier, $.attribute_specifier)),
      field('type', $.type_specifier),
      repeat(choice($.type_qualifier, $.attribute_specifier)),
    ),

    // An attribute just inside a declarator's parentheses: libxml2's
    // `typedef void *(__attribute__((alloc_size(1))) *xmlMallocFunc)(size_t);`.
    // The inner declarator is the last named child.
    parenthesized_declarator: $ => prec.dynamic(PREC.PAREN_DECLARATOR, seq(
      '(',
      optional($.ms_call_modifier),
      repeat($.attribute_specifier),
      $._declarator,
      ')',
    )),
    parenthesized_field_declarator: $ => prec.dynamic(PREC.PAREN_DECLARATOR, seq(
      '(',
      optional($.ms_call_modifier),
      repeat($.attribute_specifier),
      $._field_declarator,
      ')',
    )),
    // ... and in an abstract declarator (`void (__attribute__((x)) *)(void)`
    // as a parameter's type).
    abstract_parenthesized_declarator: $ => prec(1, seq(
      '(',
      optional($.ms_call_modifier),
      repeat($.attribute_specifier),
      $._abstract_declarator,
      ')',
    )),
    parenthesized_type_declarator: $ => prec.dynamic(PREC.PAREN_DECLARATOR, seq(
      '(',
      optional($.ms_call_modifier),
      repeat($.attribute_specifier),
      $._type_declarator,
      ')',
    )),
    // `regmatch_t m[__restrict n]`: glibc's <regex.h> qualifies array
    // parameters with GNU's `__restrict`, which tree-sitter-c 0.23.6 takes
    // only after a pointer's `*`.
    array_declarator: $ => prec(1, seq(
      field('declarator', $._declarator),
      '[',
      repeat(choice($.type_qualifier, $.ms_restrict_modifier, 'static')),
      field('size', optional(choice($.expression, '*'))),
      ']',
    )),
    abstract_array_declarator: $ => prec(1, seq(
      field('declarator', optional($._abstract_declarator)),
      '[',
      repeat(choice($.type_qualifier, $.ms_restrict_modifier, 'static')),
      field('size', optional(choice($.expression, '*'))),
      ']',
    )),

    // `__builtin_offsetof(T, a.b[2])`, which <stddef.h>'s offsetof becomes.
    offsetof_expression: $ => prec(PREC.OFFSETOF, seq(
      choice('offsetof', '__builtin_offsetof'),
      '(',
      field('type', $.type_descriptor),
      ',',
      field('member', $._field_identifier),
      repeat(choice(seq('.', $._field_identifier), seq('[', $.expression, ']'))),
      ')',
    )),

    // tree-sitter-c's number, with GCC's suffixes too: imaginary constants
    // (`1.0iF`, which <complex.h>'s `I` expands to; `2j`), `q`/`w` for
    // __float128/__float80, and _FloatN's `f16`, `f32x`, `f128`, `bf16`.
    number_literal: _ => {
      const separator = '\'';
      const hex = /[0-9a-fA-F]/;
      const decimal = /[0-9]/;
      const hexDigits = seq(repeat1(hex), repeat(seq(separator, repeat1(hex))));
      const decimalDigits = seq(repeat1(decimal), repeat(seq(separator, repeat1(decimal))));
      return token(seq(
        optional(/[-\+]/),
        optional(choice(/0[xX]/, /0[bB]/)),
        choice(
          seq(
            choice(
              decimalDigits,
              seq(/0[bB]/, decimalDigits),
              seq(/0[xX]/, hexDigits),
            ),
            optional(seq('.', optional(hexDigits))),
          ),
          seq('.', decimalDigits),
        ),
        optional(seq(
          /[eEpP]/,
          optional(seq(
            optional(/[-\+]/),
            hexDigits,
          )),
        )),
        /[uUlLwWfFbBdDiIjJqQ]*((16|32|64|128)[xX]?[iIjJ]*)?/,
      ));
    },

    // An asm label before an initialiser: lz4's freestanding test writes
    // `register long rax __asm__ ("rax") = n;` (GCC's explicit register
    // variables), a declaration without one is tree-sitter-c's already.
    init_declarator: $ => seq(
      field('declarator', $._declarator),
      optional(field('asm_label', $.gnu_asm_expression)),
      '=',
      field('value', choice($.initializer_list, $.expression)),
    ),

    // GCC's `__real__ z` and `__imag__ z` (libquadmath's <quadmath.h>), unary
    // operators whose result is an lvalue (`__imag__ z = 1.0;`).
    complex_part_expression: $ => prec.left(PREC.UNARY, seq(
      field('operator', choice('__real__', '__imag__', '__real', '__imag')),
      field('argument', $.expression),
    )),

    // GCC builtins that take a type: <stdarg.h>'s va_arg is
    // `__builtin_va_arg(ap, char *)` (Lua's lobject.c), and the type may be
    // any type name, which a call's argument list cannot hold.
    va_arg_expression: $ => seq(
      '__builtin_va_arg', '(', field('argument', $.expression), ',', field('type', $.type_descriptor), ')',
    ),
    types_compatible_expression: $ => seq(
      '__builtin_types_compatible_p', '(', field('type', $.type_descriptor), ',', field('type', $.type_descriptor), ')',
    ),
    convertvector_expression: $ => seq(
      '__builtin_convertvector', '(', field('argument', $.expression), ',', field('type', $.type_descriptor), ')',
    ),

    // `&&label`.
    label_address_expression: $ => prec(PREC.UNARY, seq('&&', field('label', $._statement_identifier))),

    storage_class_specifier: ($, original) => choice(
      original,
      '_Thread_local',
    ),

    // `typeof(expr)` and `typeof(type)`, GNU and C23 spellings.
    typeof_specifier: $ => prec.dynamic(1, seq(
      choice('typeof', '__typeof__', '__typeof', 'typeof_unqual', '__typeof_unqual__'),
      '(',
      field('argument', choice($.expression, $.type_descriptor, $.comma_expression)),
      ')',
    )),

    // Types

    // GNU's spelling `__signed__` (Linux's <asm-generic/int-ll64.h>), which
    // tree-sitter-c 0.23.6 does not know. It only ever precedes a type here.
    type_qualifier: ($, original) => choice(
      original,
      // GCC's alternate spellings (Linux's <linux/idxd.h>: `__volatile__
      // uint8_t status;`).
      '__volatile__',
      '__volatile',
      '__const',
      '__const__',
      '__signed__',
      '__signed',
      // `double _Complex`: glibc's <complex.h> and csmith's headers.
      '_Complex',
      '__complex__',
      '_Imaginary',
    ),

    // Unnamed bit-fields (`int :32;`), which glibc's <sys/timex.h> uses and
    // tree-sitter-c 0.23.6 does not parse, also in a list (Linux's
    // <linux/ioam6.h>: `__u8 :1, :1, overflow:1, ...;`).
    _field_declaration_declarator: $ => commaSep1(choice(
      seq(field('declarator', $._field_declarator), optional($.bitfield_clause)),
      $.bitfield_clause,
    )),

    // GCC attributes on an enumerator, after its name: curl's <curl/curl.h>
    // writes `CURLSSLBACKEND_POLARSSL __attribute__((deprecated(...))) = 6,`.
    enumerator: $ => seq(
      field('name', $.identifier),
      repeat($.attribute_specifier),
      optional(seq('=', field('value', $.expression))),
    ),

    // GCC attributes before a declarator other than the first of a
    // declaration (they belong to that declarator alone): redis's
    // <redismodule.h> writes `static const RedisModuleEvent ..., __attribute__
    // ((deprecated)) RedisModuleEvent_ReplBackup = {...};`. Before the first,
    // an attribute is one of the declaration's specifiers, as in
    // tree-sitter-c. (Not in a struct's member list, where gcc refuses it.)
    declaration: $ => seq(
      $._declaration_specifiers,
      $._declaration_item,
      repeat(seq(',', choice($._declaration_item, $._attributed_declaration_item))),
      ';',
    ),
    _declaration_item: $ => field('declarator', choice(
      seq(
        optional($.ms_call_modifier),
        $._declaration_declarator,
        optional($.gnu_asm_expression),
      ),
      $.init_declarator,
    )),
    _attributed_declaration_item: $ => field('declarator', choice(
      seq(
        alias($._leading_attributed_declarator, $.attributed_declarator),
        optional($.gnu_asm_expression),
      ),
      alias($._leading_attributed_init_declarator, $.init_declarator),
    )),
    _leading_attributed_declarator: $ => seq(
      repeat1($.attribute_specifier),
      field('declarator', $._declarator),
    ),
    _leading_attributed_init_declarator: $ => seq(
      field('declarator', alias($._leading_attributed_declarator, $.attributed_declarator)),
      optional(field('asm_label', $.gnu_asm_expression)),
      '=',
      field('value', choice($.initializer_list, $.expression)),
    ),

    // A stray `;` among the members (GCC accepts it; Linux's <linux/nfc.h>
    // ends a member `... /* Service name URI */;`).
    _field_declaration_list_item: ($, original) => choice(
      original,
      ';',
    ),

    type_specifier: ($, original) => choice(
      original,
      $.channel_type,
      $.typeof_specifier,
      $.atomic_type_specifier,
      $._keyword_type_identifier,
    ),

    // A type named `chan` (a typedef of the user's: libmill's `chan`, a
    // toy runtime's channel struct), where `chan` is not followed by `(`
    // or `<-(`: `chan *c = mk(3);`.
    _keyword_type_identifier: $ => alias('chan', $.type_identifier),

    // GCC attributes in a type name, before or after its specifier:
    // gcc's <xmmintrin.h> builds a vector in a compound literal,
    // `(__attribute__((__vector_size__(16))) int){4, 1, 2, 3}`.
    type_descriptor: $ => seq(
      repeat(choice($.type_qualifier, $.attribute_specifier)),
      field('type', $.type_specifier),
      repeat(choice($.type_qualifier, $.attribute_specifier)),
      field('declarator', optional($._abstract_declarator)),
    ),

    // C11's `_Atomic(T)` type specifier (clang's <stdatomic.h>).
    atomic_type_specifier: $ => prec.dynamic(1, seq('_Atomic', '(', field('type', $.type_descriptor), ')')),

    // chan(T), and Go's directional forms: chan<-(T) (send-only) and
    // <-chan(T) (receive-only). The arrow is a named node (send_only,
    // receive_only) in the direction field, so a tree says which it is.
    // `chan<-(T) x;` reads as a declaration, not as a send of `(T)x` on a
    // variable named chan (dynamic precedence); `chan <- (x);` stays a send.
    channel_type: $ => choice(
      seq(
        'chan',
        '(',
        field('element', $.type_descriptor),
        ')',
      ),
      prec.dynamic(DYN.DIRECTIONAL_CHAN, seq(
        'chan',
        field('direction', alias('<-', $.send_only)),
        '(',
        field('element', $.type_descriptor),
        ')',
      )),
      prec.dynamic(DYN.DIRECTIONAL_CHAN, seq(
        field('direction', alias('<-', $.receive_only)),
        'chan',
        '(',
        field('element', $.type_descriptor),
        ')',
      )),
    ),

    // Expressions

    _expression_not_binary: ($, original) => choice(
      original,
      $.va_arg_expression,
      $.complex_part_expression,
      $.types_compatible_expression,
      $.convertvector_expression,
      $.label_address_expression,
      $.receive_expression,
      $.chan_make_expression,
      $._keyword_identifier,
    ),

    _assignment_left_expression: ($, original) => choice(
      original,
      $._keyword_identifier,
      $.complex_part_expression,
    ),

    // `<-` is a prefix operator with the precedence of C's `*` and `&`:
    // postfix operators bind first (`<-ch++` is `<-(ch++)`, `<-s.c`,
    // `<-f()`), binary operators after (`<-ch + 1` is `(<-ch) + 1`).
    receive_expression: $ => prec.left(PREC.CAST, seq(
      '<-',
      field('channel', $.expression),
    )),

    chan_make_expression: $ => prec.dynamic(DYN.CHAN_MAKE, seq(
      'chan_make',
      '(',
      field('element', $.type_descriptor),
      ',',
      field('capacity', $.expression),
      ')',
    )),

    // A keyword of the new syntax used as a plain C identifier.
    _keyword_identifier: $ => alias(
      choice('go', 'select', 'chan', 'chan_make'),
      $.identifier,
    ),
  },
});

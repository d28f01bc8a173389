/* Internal to the JSON and JSON Schema files of the core: shared helpers
 * and the compiled schema's node layout. Not a public contract.
 *
 * A compiled schema is a graph of sq__snode (a $ref points at the node of
 * its target, so recursive schemas are cycles). Every node, string and
 * JSON value it refers to lives in the schema's own arena: a deep copy of
 * the source document made at compile time. */
#ifndef SQUALL_SCHEMA_INTERNAL_H
#define SQUALL_SCHEMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "squall/arena.h"
#include "squall/json.h"
#include "squall/schema.h"

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), or 0 when
 * it is invalid (overlong, surrogate, beyond U+10FFFF, truncated). */
size_t sq__utf8_seq_len(const unsigned char *p, const unsigned char *end);
/* strtod in the C locale (whatever the process locale is). */
double sq__strtod_c(const char *nul_terminated, char **endp);
/* Shortest round-trip text of a finite double, NUL-terminated, looks like a
 * float ("1.0"). out_len >= 32. SQ_EINVAL for NaN/Inf. */
int sq__format_double(double v, char *out, size_t out_len);

/* ---- type bits ---- */
enum {
    SQ__T_NULL = 1 << 0,
    SQ__T_BOOL = 1 << 1,
    SQ__T_INT = 1 << 2,
    SQ__T_NUM = 1 << 3,
    SQ__T_STR = 1 << 4,
    SQ__T_ARR = 1 << 5,
    SQ__T_OBJ = 1 << 6,
    SQ__T_ANY = 0x7f
};

/* ---- formats ---- */
typedef enum sq__format {
    SQ__FMT_NONE = 0, /* absent or an annotation-only format */
    SQ__FMT_EMAIL,
    SQ__FMT_UUID,
    SQ__FMT_DATE,
    SQ__FMT_DATE_TIME,
    SQ__FMT_TIME,
    SQ__FMT_DURATION,
    SQ__FMT_URI,
    SQ__FMT_IPV4,
    SQ__FMT_IPV6,
    SQ__FMT_HOSTNAME
} sq__format;

/* Format name -> enum (SQ__FMT_NONE for unknown formats: annotations). */
sq__format sq__format_lookup(const char *name, size_t len);
/* 1 when the string is valid for the format (email is checked by the
 * email pattern in the validator, not here). */
int sq__format_check(sq__format f, const char *s, size_t len);

/* ---- keyword flags ---- */
enum {
    SQ__HAS_MINIMUM = 1 << 0,
    SQ__HAS_MAXIMUM = 1 << 1,
    SQ__HAS_EXCL_MIN = 1 << 2,
    SQ__HAS_EXCL_MAX = 1 << 3,
    SQ__HAS_MULTIPLE = 1 << 4,
    SQ__HAS_MIN_LEN = 1 << 5,
    SQ__HAS_MAX_LEN = 1 << 6,
    SQ__HAS_MIN_ITEMS = 1 << 7,
    SQ__HAS_MAX_ITEMS = 1 << 8,
    SQ__HAS_MIN_PROPS = 1 << 9,
    SQ__HAS_MAX_PROPS = 1 << 10,
    SQ__UNIQUE = 1 << 11,
    SQ__ADDL_FALSE = 1 << 12,
    SQ__HAS_CONST = 1 << 13,
    SQ__HAS_MIN_CONTAINS = 1 << 14,
    SQ__HAS_MAX_CONTAINS = 1 << 15
};

/* ---- keyword groups: which parts of the walker a node needs ----
 * Derived once at compile time (sq__snode.groups) so the walker asks one
 * question per group instead of testing each keyword of it. */
enum {
    SQ__G_VALUE = 1 << 0,   /* $ref, enum or const */
    SQ__G_NUMBER = 1 << 1,  /* minimum, maximum, exclusive bounds, multipleOf */
    SQ__G_STRING = 1 << 2,  /* minLength, maxLength, pattern, format */
    SQ__G_ARRAY = 1 << 3,   /* any array keyword */
    SQ__G_OBJECT = 1 << 4,  /* any object keyword */
    SQ__G_APPLY = 1 << 5    /* allOf, anyOf, oneOf, not, if */
};

typedef struct sq__snode sq__snode;

typedef struct sq__regex {
    pcre2_code *code;
    const char *src; /* NUL-terminated pattern text as written */
    size_t src_len;
    int jit;         /* JIT compiled (pcre2_match then runs the JIT code) */
    /* Patterns of the shape ^(literal | \d | \d{n})*$ match an ASCII subject
     * position by position: one byte per position, the literal or 0 for a
     * digit; NULL when the pattern has another shape. */
    const unsigned char *fixed;
    size_t fixed_len;
    /* A fixed shape of 8 to 16 positions is also kept as two overlapping
     * 8-byte windows (positions 0-7 and the last 8), each as the literal
     * bytes, a mask of the literal positions and a mask (0x80 per byte) of
     * the digit positions, so a match takes two word tests, no byte loop. */
    int fixed_windows;
    uint64_t win_lit[2], win_lit_mask[2], win_digit_mask[2];
    /* Patterns of the shape ^(atom | atom+ | atom{n})*$, an atom being one
     * character, escape or [class] (the email patterns), run over a short
     * ASCII subject as a bit-parallel automaton instead of PCRE2: bit i of
     * the state means "atoms 0..i matched, the last one ending here".
     * seq_admits[b] is the set of atoms that admit ASCII byte b (as PCRE2
     * itself said at compile time), seq_repeat the atoms with `+`,
     * seq_last the last atom's bit. NULL when the pattern has another
     * shape. */
    const uint64_t *seq_admits;
    uint64_t seq_repeat, seq_last;
} sq__regex;

typedef struct sq__prop {
    const char *key;
    size_t key_len;
    sq__snode *schema;
    int req_index; /* index in the node's required list, -1 if optional */
    uint64_t req_bit; /* 1 << req_index when that is below 64, else 0 */
} sq__prop;

typedef struct sq__key {
    const char *key;
    size_t key_len;
} sq__key;

typedef struct sq__pattern_prop {
    sq__regex re;
    sq__snode *schema;
} sq__pattern_prop;

typedef struct sq__dep_required {
    sq__key trigger;
    sq__key *keys;
    size_t num_keys;
} sq__dep_required;

typedef struct sq__dep_schema {
    sq__key trigger;
    sq__snode *schema;
} sq__dep_schema;

struct sq__snode {
    int bool_schema;   /* 0: a normal schema, 1: `true`, 2: `false` */
    uint32_t types;    /* allowed instance types (SQ__T_ANY without `type`) */
    uint32_t flags;    /* SQ__HAS_* */
    int nullable;      /* OpenAPI 3.0 `nullable: true` adds null */
    uint32_t groups;   /* SQ__G_* of the keywords present */
    /* A leaf: a normal schema whose checks never recurse, allocate or need
     * a location unless they fail (type, number and length bounds, pattern,
     * a format other than email). The walker checks a valid value against
     * it inline and takes the full path only when the check fails.
     * leaf_types is `types` for a leaf and 0 for any other node, so one
     * test asks both "a leaf?" and "of an admitted type?". */
    uint32_t leaf_types;
    int ref_only; /* a $ref and no other keyword that validates */

    /* numbers: the double for comparison and the value as written (ctx) */
    double minimum, maximum, excl_min, excl_max, multiple_of;
    const sq_json_value *minimum_v, *maximum_v, *excl_min_v, *excl_max_v, *multiple_of_v;
    /* When every bound present is an int64 and there is no multipleOf, an
     * int64 instance is within the bounds exactly when int_lo <= it <= int_hi
     * (int_lo > int_hi when none is). */
    int int_bounds;
    int64_t int_lo, int_hi;
    /* Without multipleOf, a float instance is compared with every bound as
     * a double: within them exactly when it is above dbl_lo (or equal when
     * !dbl_lo_strict) and below dbl_hi (likewise), the tighter of each
     * side's two bounds (+-infinity when a side has none). */
    int dbl_bounds, dbl_lo_strict, dbl_hi_strict;
    double dbl_lo, dbl_hi;

    /* strings */
    size_t min_len, max_len; /* code points */
    sq__regex *pattern;
    sq__format format;

    /* enum / const */
    const sq_json_value *enum_v;  /* array */
    const sq_json_value *const_v;
    const char *const_json;       /* compact JSON of the const (messages) */

    /* objects */
    sq__prop *props;
    size_t num_props;
    int props_distinct; /* no two props share a key: the in-order lookup fast path is exact */
    sq__key *required;
    size_t num_required;
    sq__pattern_prop *pattern_props;
    size_t num_pattern_props;
    sq__snode *additional; /* schema for additional properties, NULL = any */
    sq__snode *property_names;
    size_t min_props, max_props;
    sq__dep_required *dep_required;
    size_t num_dep_required;
    sq__dep_schema *dep_schemas;
    size_t num_dep_schemas;

    /* arrays */
    sq__snode **prefix_items;
    size_t num_prefix_items;
    sq__snode *items; /* for items past the prefix, NULL = any */
    size_t min_items, max_items;
    sq__snode *contains;
    size_t min_contains, max_contains;

    /* combinators */
    sq__snode **all_of;
    size_t num_all_of;
    sq__snode **any_of;
    size_t num_any_of;
    sq__snode **one_of;
    size_t num_one_of;
    sq__snode *not_;
    const char *not_json; /* compact JSON of the `not` subschema (message) */
    sq__snode *if_, *then_, *else_;
    sq__snode *ref; /* resolved $ref target */
};

struct sq_schema {
    sq_arena arena;
    sq__snode *root;
    sq__regex **regexes; /* every compiled pattern, for sq_schema_free */
    size_t num_regexes, cap_regexes;
    sq__regex *email_re; /* the email format's pattern, compiled when used */
    sq__key *names;      /* every `properties` name (arena copies), for bindings */
    size_t num_names, cap_names;
};

/* ---- messages (schema_messages.c): text built in the error arena ---- */
/* printf into the arena. NULL on ENOMEM. */
char *sq__msg_printf(sq_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Compact JSON of v, NUL-terminated, in the arena. */
char *sq__msg_json(sq_arena *a, const sq_json_value *v);
/* A constraint number as Python prints it (3, 0.5, 1.0). */
char *sq__msg_number(sq_arena *a, const sq_json_value *v);
/* pydantic's enum listing: "'a', 'b' or 'c'". */
char *sq__msg_enum_expected(sq_arena *a, const sq_json_value *enum_array);

/* The pattern the email format is checked with: the one the fixtures report
 * in their string_pattern_mismatch errors for `format: email`. */
#define SQ__EMAIL_PATTERN "^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\\.[a-zA-Z0-9-.]+$"

/* Regex helpers (schema_compile.c). */
int sq__regex_compile(sq_schema *s, const char *src, size_t len, sq__regex **out, char *errbuf,
                      size_t errbuf_len);
/* 1 match, 0 no match, <0 error. Unanchored search; never allocates on the heap. */
int sq__regex_search(const sq__regex *re, const char *subject, size_t len);

/* JSON equality as JSON Schema defines it (1 == 1.0, objects unordered). */
int sq__json_equal(const sq_json_value *a, const sq_json_value *b);

/* sq_schema_validate (coerce 0) or sq_schema_validate_coerce (coerce 1)
 * with a step budget of `budget` subschema visits instead of the usual 20
 * million (a larger budget is cut to that): lets a test make the budget run
 * out at every point of a walk. */
int sq__schema_validate_budget(const sq_schema *s, sq_json_value *instance, sq_loc *loc, sq_error_list *errors,
                               int coerce, size_t budget);

#endif

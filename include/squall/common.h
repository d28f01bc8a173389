/* Squall core: shared basic types and error codes.
 *
 * Every core function returns 0 (or a non-negative count) on success and a
 * negative SQ_E* code on failure; sq_strerror() names the code. Nothing in the
 * core includes Python.h. */
#ifndef SQUALL_COMMON_H
#define SQUALL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A borrowed view of bytes. It never owns memory: whoever produced the slice
 * says how long `base` stays valid (usually: until the request is finished). */
typedef struct sq_slice {
    const char *base;
    size_t len;
} sq_slice;

#define SQ_SLICE_LIT(s) ((sq_slice){(s), sizeof(s) - 1})

enum {
    SQ_OK = 0,
    SQ_EINCOMPLETE = -1, /* need more input */
    SQ_EINVAL = -2,      /* malformed input */
    SQ_ENOMEM = -3,      /* allocation failed */
    SQ_EGONE = -4,       /* the client went away: nothing was written */
    SQ_ETOOBIG = -5,     /* a configured limit was exceeded */
    SQ_EIO = -6,         /* a system call failed (see errno) */
    SQ_ESTATE = -7,      /* call not valid in the object's current state */
    SQ_EAGAIN = -8,      /* try again later (back-pressure) */
    SQ_ENOTFOUND = -9    /* lookup found nothing */
};

/* Static, never NULL. */
const char *sq_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif

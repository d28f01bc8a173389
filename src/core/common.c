/* Names for the SQ_E* codes of squall/common.h. */
#include "squall/common.h"

const char *sq_strerror(int err) {
    switch (err) {
    case SQ_OK: return "success";
    case SQ_EINCOMPLETE: return "need more input";
    case SQ_EINVAL: return "malformed input";
    case SQ_ENOMEM: return "out of memory";
    case SQ_EGONE: return "the client went away";
    case SQ_ETOOBIG: return "a configured limit was exceeded";
    case SQ_EIO: return "a system call failed";
    case SQ_ESTATE: return "call not valid in the current state";
    case SQ_EAGAIN: return "try again later";
    case SQ_ENOTFOUND: return "not found";
    default: return err >= 0 ? "success" : "unknown error";
    }
}

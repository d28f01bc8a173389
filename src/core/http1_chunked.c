/* Chunked transfer coding of request bodies (RFC 9112 7.1), decoded in
 * place and resumable at any byte.
 *
 * The framing (size lines, extensions, CRLFs, trailers) goes through a
 * byte-at-a-time state machine: it is short, and a per-byte machine makes
 * "split anywhere" trivially equal to "all at once". Chunk data, the bulk,
 * is moved with one memmove per call and chunk. */
#include <limits.h>
#include <string.h>

#include "http1_chars.h"
#include "squall/http1_parser.h"

enum {
    CS_SIZE_START = 0, /* first hex digit of a chunk-size */
    CS_SIZE,           /* more digits, BWS, ';' or CR */
    CS_SIZE_BWS,       /* whitespace after the size: only before ';' */
    CS_EXT_NAME_START, /* after ';': BWS then a token */
    CS_EXT_NAME,
    CS_EXT_NAME_BWS,   /* whitespace after a name: before '=' or ';' */
    CS_EXT_VAL_START,  /* after '=': BWS then token or quoted-string */
    CS_EXT_VAL_TOKEN,
    CS_EXT_QUOTED,
    CS_EXT_QUOTED_ESC,
    CS_EXT_AFTER_QUOTE,
    CS_EXT_BWS,        /* whitespace after a value: only before ';' */
    CS_SIZE_LF,        /* CR seen at the end of the size line */
    CS_DATA,
    CS_DATA_CR,
    CS_DATA_LF,
    CS_TRAILER_START,  /* start of a trailer line, or of the final CRLF */
    CS_TRAILER_NAME,
    CS_TRAILER_VALUE,
    CS_TRAILER_LF,
    CS_END_LF,
    CS_DONE,
    CS_ERROR
};

/* Chunks whose data averages under this many bytes, past this many
 * chunks, are framing abuse: refuse rather than buffer them. */
#define SMALL_CHUNK_BYTES 16
#define SMALL_CHUNK_COUNT 1000

void sq_chunked_decoder_init(sq_chunked_decoder *d) {
    memset(d, 0, sizeof *d);
    d->_state = CS_SIZE_START;
}

static int fail(sq_chunked_decoder *d, int status, const char *reason) {
    d->error_status = status;
    d->error_reason = reason;
    d->_state = CS_ERROR;
    return (status == 413 || status == 431) ? SQ_ETOOBIG : SQ_EINVAL;
}

static int is_ws(unsigned char c) { return c == ' ' || c == '\t'; }

/* qdtext and the escaped byte of a quoted-pair (RFC 9110 5.6.4). */
static int is_qdtext(unsigned char c) {
    return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
           (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}
static int is_quoted_pair_byte(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The size line ended: account for the chunk it announced. */
static int start_chunk(sq_chunked_decoder *d, const sq_chunked_limits *limits) {
    if (d->_remaining == 0) {
        d->_state = CS_TRAILER_START;
        return 0;
    }
    if (d->_remaining > (uint64_t)(limits->max_body - d->body_len))
        return fail(d, 413, "request body too large");
    d->_num_chunks++;
    if (d->_num_chunks > SMALL_CHUNK_COUNT &&
        d->body_len + (size_t)d->_remaining < SMALL_CHUNK_BYTES * d->_num_chunks)
        return fail(d, 400, "too many small chunks");
    d->_state = CS_DATA;
    return 0;
}

/* Advance the framing state machine by one byte. Returns 0 or a failure. */
static int framing_byte(sq_chunked_decoder *d, unsigned char c, const sq_chunked_limits *limits) {
    int s = d->_state;
    if (s >= CS_SIZE_BWS && s <= CS_EXT_BWS && c != '\r') {
        /* every byte from the first ';' or BWS up to the CR is extension */
        if (++d->_ext_bytes > limits->max_chunk_ext)
            return fail(d, 400, "chunk extensions too long");
    }
    if (s >= CS_TRAILER_START && s <= CS_TRAILER_LF && !(s == CS_TRAILER_START && c == '\r')) {
        if (++d->_trailer_bytes > limits->max_trailer_bytes)
            return fail(d, 431, sq_http1_reason_trailers_too_large);
    }
    switch (s) {
    case CS_SIZE_START:
        if (!sq__is_hex(c)) return fail(d, 400, "invalid chunk size");
        d->_remaining = sq__hex_value(c);
        d->_hex_digits = 1;
        d->_state = CS_SIZE;
        return 0;
    case CS_SIZE:
        if (sq__is_hex(c)) {
            if (++d->_hex_digits > 16) return fail(d, 400, "chunk size has more than 16 digits");
            d->_remaining = d->_remaining << 4 | sq__hex_value(c);
            return 0;
        }
        if (c == '\r') d->_state = CS_SIZE_LF;
        else if (c == ';') {
            if (++d->_ext_bytes > limits->max_chunk_ext)
                return fail(d, 400, "chunk extensions too long");
            d->_state = CS_EXT_NAME_START;
        } else if (is_ws(c)) {
            if (++d->_ext_bytes > limits->max_chunk_ext)
                return fail(d, 400, "chunk extensions too long");
            d->_state = CS_SIZE_BWS;
        } else return fail(d, 400, "invalid chunk size");
        return 0;
    case CS_SIZE_BWS:
    case CS_EXT_BWS:
        if (c == ';') d->_state = CS_EXT_NAME_START;
        else if (!is_ws(c)) return fail(d, 400, "invalid chunk extension");
        return 0;
    case CS_EXT_NAME_START:
        if (sq__is_token(c)) d->_state = CS_EXT_NAME;
        else if (!is_ws(c)) return fail(d, 400, "invalid chunk extension");
        return 0;
    case CS_EXT_NAME:
    case CS_EXT_NAME_BWS:
        if (s == CS_EXT_NAME && sq__is_token(c)) return 0;
        if (c == '=') d->_state = CS_EXT_VAL_START;
        else if (c == ';') d->_state = CS_EXT_NAME_START;
        else if (c == '\r' && s == CS_EXT_NAME) d->_state = CS_SIZE_LF;
        else if (is_ws(c)) d->_state = CS_EXT_NAME_BWS;
        else return fail(d, 400, "invalid chunk extension");
        return 0;
    case CS_EXT_VAL_START:
        if (sq__is_token(c)) d->_state = CS_EXT_VAL_TOKEN;
        else if (c == '"') d->_state = CS_EXT_QUOTED;
        else if (!is_ws(c)) return fail(d, 400, "invalid chunk extension");
        return 0;
    case CS_EXT_VAL_TOKEN:
    case CS_EXT_AFTER_QUOTE:
        if (s == CS_EXT_VAL_TOKEN && sq__is_token(c)) return 0;
        if (c == '\r') d->_state = CS_SIZE_LF;
        else if (c == ';') d->_state = CS_EXT_NAME_START;
        else if (is_ws(c)) d->_state = CS_EXT_BWS;
        else return fail(d, 400, "invalid chunk extension");
        return 0;
    case CS_EXT_QUOTED:
        if (c == '"') d->_state = CS_EXT_AFTER_QUOTE;
        else if (c == '\\') d->_state = CS_EXT_QUOTED_ESC;
        else if (!is_qdtext(c)) return fail(d, 400, "invalid chunk extension");
        return 0;
    case CS_EXT_QUOTED_ESC:
        if (!is_quoted_pair_byte(c)) return fail(d, 400, "invalid chunk extension");
        d->_state = CS_EXT_QUOTED;
        return 0;
    case CS_SIZE_LF:
        if (c != '\n') return fail(d, 400, "bare CR in chunk size line");
        return start_chunk(d, limits);
    case CS_DATA_CR:
        if (c != '\r') return fail(d, 400, "chunk data not followed by CRLF");
        d->_state = CS_DATA_LF;
        return 0;
    case CS_DATA_LF:
        if (c != '\n') return fail(d, 400, "chunk data not followed by CRLF");
        d->_state = CS_SIZE_START;
        return 0;
    case CS_TRAILER_START:
        if (c == '\r') d->_state = CS_END_LF;
        else if (is_ws(c)) return fail(d, 400, "obs-fold in trailer");
        else if (sq__is_token(c)) d->_state = CS_TRAILER_NAME;
        else return fail(d, 400, "invalid trailer field name");
        return 0;
    case CS_TRAILER_NAME:
        if (c == ':') d->_state = CS_TRAILER_VALUE;
        else if (!sq__is_token(c)) return fail(d, 400, "invalid trailer field name");
        return 0;
    case CS_TRAILER_VALUE:
        if (c == '\r') d->_state = CS_TRAILER_LF;
        else if (!sq__is_value(c)) return fail(d, 400, "invalid byte in trailer value");
        return 0;
    case CS_TRAILER_LF:
        if (c != '\n') return fail(d, 400, "bare CR in trailer");
        d->_state = CS_TRAILER_START;
        return 0;
    case CS_END_LF:
        if (c != '\n') return fail(d, 400, "bare CR after the last chunk");
        d->_state = CS_DONE;
        return 0;
    default:
        return fail(d, 400, "chunked decoder in an invalid state");
    }
}

int sq_chunked_decode(sq_chunked_decoder *d, char *buf, size_t *len,
                      const sq_chunked_limits *limits) {
    size_t in = *len, pos = 0, out = 0;
    int rc = 0;
    if (d->_state == CS_ERROR) {
        *len = 0;
        return (d->error_status == 413 || d->error_status == 431) ? SQ_ETOOBIG : SQ_EINVAL;
    }
    if (d->_state == CS_DONE) {
        *len = 0;
        return SQ_ESTATE;
    }
    while (pos < in) {
        if (d->_state == CS_DATA) {
            size_t take = in - pos;
            if ((uint64_t)take > d->_remaining) take = (size_t)d->_remaining;
            if (out != pos) memmove(buf + out, buf + pos, take);
            out += take;
            pos += take;
            d->_remaining -= take;
            d->body_len += take;
            if (d->_remaining == 0) d->_state = CS_DATA_CR;
            continue;
        }
        if ((rc = framing_byte(d, (unsigned char)buf[pos++], limits)) != 0) break;
        if (d->_state == CS_DONE) break;
    }
    *len = out;
    if (rc != 0) return rc;
    if (d->_state != CS_DONE) return SQ_EINCOMPLETE;
    size_t rest = in - pos;
    if (rest > INT_MAX) return fail(d, 413, "request too large");
    if (rest && out != pos) memmove(buf + out, buf + pos, rest);
    return (int)rest;
}

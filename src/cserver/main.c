/* squall-cserver: the plain C server every benchmark compares against.
 *
 * Routes: GET /plaintext, GET /json (the benchmark pair), and for the
 * black-box tests POST /echo, GET /slow?ms=N (answered from a helper thread
 * after N ms: exercises late, cross-thread answers and graceful shutdown),
 * GET /stream?bytes=N (a chunked stream that honours back-pressure).
 *
 * --workers N (N > 1) pre-forks N processes that each bind the port with
 * SO_REUSEPORT. The master keeps a bound, never-listening socket on the port
 * (so --port 0 resolves once and a restarted worker gets the same port),
 * replaces a worker that dies, and forwards SIGTERM/SIGINT for a graceful
 * stop. */
#include "squall/server.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum route_kind { R_PLAINTEXT = 1, R_JSON, R_ECHO, R_SLOW, R_STREAM };
static int route_ids[] = {0, R_PLAINTEXT, R_JSON, R_ECHO, R_SLOW, R_STREAM};

/* ---- per-request state of /slow and /stream ---- */

typedef struct pending {
    struct pending *next;
    sq_responder *res;
    int kind;
    int cancelled;
    struct timespec due; /* /slow */
    size_t remaining;    /* /stream */
} pending;

static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cond;
static pending *slow_list;
static int slow_stop;

static const sq_header_out TEXT_PLAIN[] = {{SQ_SLICE_LIT("Content-Type"), SQ_SLICE_LIT("text/plain")}};
static const sq_header_out APP_JSON[] = {{SQ_SLICE_LIT("Content-Type"), SQ_SLICE_LIT("application/json")}};
static const sq_header_out OCTETS[] = {
    {SQ_SLICE_LIT("Content-Type"), SQ_SLICE_LIT("application/octet-stream")}};

static long query_long(const sq_request *req, const char *key, long dflt) {
    size_t kl = strlen(key);
    for (size_t i = 0; i < req->num_query_pairs; i++) {
        const sq_query_pair *p = &req->query_pairs[i];
        if (p->key.len == kl && memcmp(p->key.base, key, kl) == 0) {
            char tmp[32];
            size_t n = p->value.len < sizeof tmp - 1 ? p->value.len : sizeof tmp - 1;
            memcpy(tmp, p->value.base, n);
            tmp[n] = '\0';
            char *end;
            long v = strtol(tmp, &end, 10);
            return (end == tmp || v < 0) ? dflt : v;
        }
    }
    return dflt;
}

/* The helper thread answers /slow requests when due (or drops cancelled
 * ones). Items stay in the list until taken, so on_cancel can find them. */
static void *slow_thread(void *arg) {
    (void)arg;
    pthread_mutex_lock(&slow_lock);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        pending **pp = &slow_list, *take = NULL, *earliest = NULL;
        for (; *pp; pp = &(*pp)->next) {
            pending *p = *pp;
            int due = p->cancelled || slow_stop || p->due.tv_sec < now.tv_sec ||
                      (p->due.tv_sec == now.tv_sec && p->due.tv_nsec <= now.tv_nsec);
            if (due) {
                take = p;
                *pp = p->next;
                break;
            }
            if (!earliest || p->due.tv_sec < earliest->due.tv_sec ||
                (p->due.tv_sec == earliest->due.tv_sec && p->due.tv_nsec < earliest->due.tv_nsec))
                earliest = p;
        }
        if (take) {
            pthread_mutex_unlock(&slow_lock);
            if (take->cancelled) {
                sq_responder_release(take->res);
            } else {
                static const char body[] = "slow done";
                sq_respond(take->res, 200, TEXT_PLAIN, 1, body, sizeof body - 1);
            }
            free(take);
            pthread_mutex_lock(&slow_lock);
            continue;
        }
        if (slow_stop && !slow_list) break;
        if (earliest) pthread_cond_timedwait(&slow_cond, &slow_lock, &earliest->due);
        else pthread_cond_wait(&slow_cond, &slow_lock);
    }
    pthread_mutex_unlock(&slow_lock);
    return NULL;
}

static char stream_block[16384];

static void stream_pump(pending *p) {
    while (p->remaining > 0) {
        size_t n = p->remaining < sizeof stream_block ? p->remaining : sizeof stream_block;
        int r = sq_stream_write(p->res, stream_block, n);
        if (r == SQ_EGONE) return; /* on_cancel follows */
        if (r < 0 && r != SQ_EAGAIN) return;
        p->remaining -= n;
        if (r == SQ_EAGAIN && p->remaining > 0) return; /* wait for on_writable */
    }
    sq_responder *res = p->res;
    free(p);
    sq_stream_end(res);
}

static void on_request(void *ctx, const sq_request *req, sq_responder *res) {
    (void)ctx;
    int kind = *(const int *)req->route_data;
    switch (kind) {
    case R_PLAINTEXT:
        sq_respond(res, 200, TEXT_PLAIN, 1, "Hello, World!", 13);
        return;
    case R_JSON: {
        static const char body[] = "{\"message\":\"Hello, World!\"}";
        sq_respond(res, 200, APP_JSON, 1, body, sizeof body - 1);
        return;
    }
    case R_ECHO:
        sq_respond(res, 200, OCTETS, 1, req->body.base, req->body.len);
        return;
    case R_SLOW: {
        pending *p = calloc(1, sizeof *p);
        if (!p) {
            sq_responder_release(res);
            return;
        }
        long ms = query_long(req, "ms", 100);
        p->res = res;
        p->kind = R_SLOW;
        clock_gettime(CLOCK_MONOTONIC, &p->due);
        p->due.tv_sec += ms / 1000;
        p->due.tv_nsec += (ms % 1000) * 1000000L;
        if (p->due.tv_nsec >= 1000000000L) {
            p->due.tv_sec++;
            p->due.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&slow_lock);
        p->next = slow_list;
        slow_list = p;
        pthread_cond_signal(&slow_cond);
        pthread_mutex_unlock(&slow_lock);
        return;
    }
    case R_STREAM: {
        pending *p = calloc(1, sizeof *p);
        if (!p) {
            sq_responder_release(res);
            return;
        }
        p->res = res;
        p->kind = R_STREAM;
        p->remaining = (size_t)query_long(req, "bytes", 1024 * 1024);
        sq_responder_set_data(res, p);
        if (sq_stream_begin(res, 200, OCTETS, 1) < 0) {
            sq_responder_set_data(res, NULL);
            free(p);
            sq_responder_release(res);
            return;
        }
        stream_pump(p);
        return;
    }
    default:
        sq_responder_release(res);
    }
}

static void on_writable(void *ctx, sq_responder *res) {
    (void)ctx;
    pending *p = sq_responder_get_data(res);
    if (p && p->kind == R_STREAM) stream_pump(p);
}

/* The responder reference is given back exactly once (squall/handler.h,
 * "Cancellation races"). /stream lives on the loop thread, like this
 * callback, so no answer can be in flight: release here. A /slow answer is
 * given by the helper thread, which may be in sq_respond right now; the
 * pending list under slow_lock decides: an item still listed is marked and
 * the helper releases it; an item the helper already took is being answered
 * and must not be touched here. */
static void on_cancel(void *ctx, sq_responder *res) {
    (void)ctx;
    pending *sp = sq_responder_get_data(res);
    if (sp && sp->kind == R_STREAM) { /* streams live on the loop thread */
        free(sp);
        sq_responder_release(res);
        return;
    }
    pthread_mutex_lock(&slow_lock);
    for (pending *p = slow_list; p; p = p->next) {
        if (p->res == res) {
            p->cancelled = 1; /* the helper releases it */
            pthread_cond_signal(&slow_cond);
            break;
        }
    }
    pthread_mutex_unlock(&slow_lock);
}

/* ---- command line ---- */

static void usage(FILE *f) {
    fprintf(f,
            "usage: squall-cserver [--host H] [--port P] [--workers N]\n"
            "  [--max-request-line B] [--max-header-bytes B] [--max-headers N] [--max-body B]\n"
            "  [--max-chunk-ext B] [--max-trailer-bytes B] [--header-timeout S] [--body-timeout S]\n"
            "  [--keepalive-timeout S] [--write-timeout S] [--max-connections N] [--grace S]\n"
            "  [--problem-type-base URI] [--access-log]\n"
            "  [--send-batch-threshold S] [--send-batch-max-wait S]\n");
}

/* Bounds of the numeric flags. A limit of 0 where it would refuse every
 * request (or every connection) is meaningless, so those start at 1; the
 * upper bounds keep products such as max_headers * sizeof(header) far
 * from overflow. */
#define MAX_WORKERS 1024
#define MAX_HEADERS_CAP 65536
#define MAX_CONNECTIONS_CAP 10000000
#define MAX_BYTES_CAP ((unsigned long long)1 << 40) /* 1 TiB */

/* One line on stderr; control bytes in the value are shown as \xNN so the
 * message stays on its line. */
static int flag_error(const char *flag, const char *value, const char *why) {
    fputs("squall-cserver: invalid value '", stderr);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) fprintf(stderr, "\\x%02x", *p);
        else fputc(*p, stderr);
    }
    fprintf(stderr, "' for --%s: %s\n", flag, why);
    return -1;
}

/* A whole decimal number in [lo, hi]: digits only, so no sign, blanks,
 * hex or trailing garbage (strtoull alone would take " -1" as 2^64-1). */
static int parse_uint(const char *flag, const char *s, unsigned long long lo,
                      unsigned long long hi, unsigned long long *out) {
    if (!*s) return flag_error(flag, s, "empty");
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return flag_error(flag, s, "not a non-negative whole number");
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi) {
        char why[96];
        snprintf(why, sizeof why, "out of range (%llu..%llu)", lo, hi);
        return flag_error(flag, s, why);
    }
    *out = v;
    return 0;
}

static int parse_int(const char *flag, const char *s, int lo, int hi, int *out) {
    unsigned long long v;
    if (parse_uint(flag, s, (unsigned long long)lo, (unsigned long long)hi, &v) < 0) return -1;
    *out = (int)v;
    return 0;
}

static int parse_size(const char *flag, const char *s, size_t lo, size_t hi, size_t *out) {
    unsigned long long v;
    if (parse_uint(flag, s, lo, hi, &v) < 0) return -1;
    *out = (size_t)v;
    return 0;
}

/* Seconds: a plain decimal ("2", "0.5", "1e3"); no sign, blanks, hex, nan,
 * inf or a value that overflows a double. Huge finite values are allowed
 * ("practically never": the core clamps them). A deadline of 0 would expire
 * every connection at once, so only --grace (0: cancel at once) takes 0. */
static int parse_secs(const char *flag, const char *s, int zero_ok, double *out) {
    if (!((*s >= '0' && *s <= '9') || *s == '.')) return flag_error(flag, s, "not a number of seconds");
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789.eE+-", *p)) return flag_error(flag, s, "not a number of seconds");
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end) return flag_error(flag, s, "not a number of seconds");
    if (errno == ERANGE || !isfinite(v) || v < 0) /* also underflow: 1e-400 is not 0 */
        return flag_error(flag, s, "out of range (a finite number of seconds, 0 or more)");
    if (v == 0 && !zero_ok) return flag_error(flag, s, "out of range (must be more than 0 seconds)");
    *out = v;
    return 0;
}

/* The core copies this prefix into every problem's `type`: printable,
 * non-empty and bounded (sq_server_create refuses the rest too, but with
 * no word about which flag was wrong). */
static int parse_type_base(const char *s) {
    size_t n = strlen(s);
    if (n == 0) return flag_error("problem-type-base", s, "empty");
    if (n > SQ_PROBLEM_TYPE_BASE_MAX) return flag_error("problem-type-base", s, "too long");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return flag_error("problem-type-base", s, "blank or control character");
    return 0;
}

static int run_worker(const sq_config *cfg, int ready_fd) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the helper thread must not take them */
    sq_handler h = {.ctx = NULL, .on_request = on_request, .on_cancel = on_cancel,
                    .on_writable = on_writable};
    int err = 0;
    sq_server *s = sq_server_create(cfg, &h, &err);
    if (!s) {
        fprintf(stderr, "squall-cserver: cannot listen on %s:%d (%d: %s)\n", cfg->host, cfg->port,
                err, strerror(errno));
        return 1;
    }
    for (int i = 1; i <= R_STREAM; i++) {
        static const char *const methods[] = {"", "GET", "GET", "POST", "GET", "GET"};
        static const char *const paths[] = {"", "/plaintext", "/json", "/echo", "/slow", "/stream"};
        if (sq_server_add_route(s, methods[i], paths[i], &route_ids[i], NULL, 0) < 0) {
            fprintf(stderr, "squall-cserver: cannot add route %s\n", paths[i]);
            sq_server_destroy(s);
            return 1;
        }
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&slow_cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_t helper;
    pthread_create(&helper, NULL, slow_thread, NULL);
    if (ready_fd >= 0) {
        char one = 1;
        ssize_t w = write(ready_fd, &one, 1);
        (void)w;
        close(ready_fd);
    } else {
        printf("listening on %s:%d\n", cfg->host, sq_server_port(s));
        fflush(stdout);
    }
    int rc = sq_server_run(s);
    pthread_mutex_lock(&slow_lock);
    slow_stop = 1;
    pthread_cond_signal(&slow_cond);
    pthread_mutex_unlock(&slow_lock);
    pthread_join(helper, NULL);
    /* Late answers from the helper are queued on the server: apply them. */
    sq_server_poll(s, 0);
    sq_server_destroy(s);
    pthread_cond_destroy(&slow_cond);
    return rc == 0 ? 0 : 1;
}

/* A bound (not listening) SO_REUSEPORT socket reserves the port for the
 * workers' own sockets without taking any of the connections. */
static int reserve_port(const char *host, int port, int *bound_port) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0 || !res) return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static pid_t spawn_worker(const sq_config *cfg, int keep_fd, int ready_fd, int master_pid) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master_pid) _exit(1);
    close(keep_fd);
    _exit(run_worker(cfg, ready_fd));
}

static int run_master(sq_config *cfg, int workers) {
    int port = 0;
    int keep = reserve_port(cfg->host, cfg->port, &port);
    if (keep < 0) {
        fprintf(stderr, "squall-cserver: cannot bind %s:%d: %s\n", cfg->host, cfg->port, strerror(errno));
        return 1;
    }
    cfg->port = port;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    int pipefd[2];
    if (sfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) return 1;
    pid_t *pids = calloc((size_t)workers, sizeof *pids);
    if (!pids) return 1;
    int me = getpid();
    for (int i = 0; i < workers; i++) pids[i] = spawn_worker(cfg, keep, pipefd[1], me);
    close(pipefd[1]);
    int ready = 0;
    char buf[64];
    while (ready < workers) {
        ssize_t n = read(pipefd[0], buf, sizeof buf);
        if (n <= 0) break;
        ready += (int)n;
    }
    close(pipefd[0]);
    if (ready < workers) {
        fprintf(stderr, "squall-cserver: a worker failed to start\n");
        for (int i = 0; i < workers; i++) if (pids[i] > 0) kill(pids[i], SIGKILL);
        while (wait(NULL) > 0) {
        }
        free(pids);
        return 1;
    }
    printf("listening on %s:%d\n", cfg->host, port);
    fflush(stdout);
    int stopping = 0, alive = workers, rc = 0;
    while (alive > 0) {
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si) {
            if (errno == EINTR) continue;
            break;
        }
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            if (!stopping) {
                stopping = 1;
                for (int i = 0; i < workers; i++) if (pids[i] > 0) kill(pids[i], SIGTERM);
            }
            continue;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < workers; i++) {
                if (pids[i] != pid) continue;
                if (stopping) {
                    pids[i] = 0;
                    alive--;
                    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) rc = 1;
                } else {
                    fprintf(stderr, "squall-cserver: worker %d died, restarting\n", (int)pid);
                    usleep(50000); /* a worker that cannot start must not become a fork storm */
                    pids[i] = spawn_worker(cfg, keep, -1 /* no readiness */, me);
                }
            }
        }
    }
    free(pids);
    close(keep);
    close(sfd);
    return rc;
}

int main(int argc, char **argv) {
    sq_config cfg;
    sq_config_init(&cfg);
    int workers = 1;
    static const struct option opts[] = {
        {"host", required_argument, 0, 'h'},
        {"port", required_argument, 0, 'p'},
        {"workers", required_argument, 0, 'w'},
        {"max-request-line", required_argument, 0, 1},
        {"max-header-bytes", required_argument, 0, 2},
        {"max-headers", required_argument, 0, 3},
        {"max-body", required_argument, 0, 4},
        {"max-chunk-ext", required_argument, 0, 5},
        {"max-trailer-bytes", required_argument, 0, 6},
        {"header-timeout", required_argument, 0, 7},
        {"body-timeout", required_argument, 0, 8},
        {"keepalive-timeout", required_argument, 0, 9},
        {"write-timeout", required_argument, 0, 10},
        {"max-connections", required_argument, 0, 11},
        {"grace", required_argument, 0, 12},
        {"access-log", no_argument, 0, 13},
        {"help", no_argument, 0, 14},
        {"problem-type-base", required_argument, 0, 15},
        {"send-batch-threshold", required_argument, 0, 16},
        {"send-batch-max-wait", required_argument, 0, 17},
        {0, 0, 0, 0}};
    int c, bad = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': cfg.host = optarg; break;
        case 'p': bad |= parse_int("port", optarg, 0, 65535, &cfg.port); break;
        case 'w': bad |= parse_int("workers", optarg, 1, MAX_WORKERS, &workers); break;
        case 1: bad |= parse_size("max-request-line", optarg, 1, MAX_BYTES_CAP, &cfg.max_request_line); break;
        case 2: bad |= parse_size("max-header-bytes", optarg, 1, MAX_BYTES_CAP, &cfg.max_header_bytes); break;
        case 3: bad |= parse_size("max-headers", optarg, 1, MAX_HEADERS_CAP, &cfg.max_headers); break;
        case 4: bad |= parse_size("max-body", optarg, 0, MAX_BYTES_CAP, &cfg.max_body); break;
        case 5: bad |= parse_size("max-chunk-ext", optarg, 0, MAX_BYTES_CAP, &cfg.max_chunk_ext); break;
        case 6: bad |= parse_size("max-trailer-bytes", optarg, 0, MAX_BYTES_CAP, &cfg.max_trailer_bytes); break;
        case 7: bad |= parse_secs("header-timeout", optarg, 0, &cfg.header_timeout); break;
        case 8: bad |= parse_secs("body-timeout", optarg, 0, &cfg.body_timeout); break;
        case 9: bad |= parse_secs("keepalive-timeout", optarg, 0, &cfg.keepalive_timeout); break;
        case 10: bad |= parse_secs("write-timeout", optarg, 0, &cfg.write_timeout); break;
        case 11:
            bad |= parse_size("max-connections", optarg, 1, MAX_CONNECTIONS_CAP, &cfg.max_connections);
            break;
        case 12: bad |= parse_secs("grace", optarg, 1, &cfg.grace); break;
        case 13: cfg.access_log = 1; break;
        case 14: usage(stdout); return 0;
        case 15:
            bad |= parse_type_base(optarg);
            cfg.problem_type_base = optarg;
            break;
        case 16: bad |= parse_secs("send-batch-threshold", optarg, 1, &cfg.send_batch_threshold); break;
        case 17: bad |= parse_secs("send-batch-max-wait", optarg, 1, &cfg.send_batch_max_wait); break;
        default: bad = 1; /* getopt_long already said what was wrong */
        }
    }
    if (!bad && optind < argc) {
        fprintf(stderr, "squall-cserver: unexpected argument '%s'\n", argv[optind]);
        bad = 1;
    }
    if (bad) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    memset(stream_block, 'x', sizeof stream_block);
    if (workers == 1) return run_worker(&cfg, -1);
    return run_master(&cfg, workers);
}

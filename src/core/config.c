/* Squall core: default limits and deadlines (at least as strict as nginx
 * and h2o). */
#include "squall/server.h"

#include <string.h>

void sq_config_init(sq_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->port = 8000;
    cfg->backlog = 1024;
    cfg->reuse_port = 1;
    cfg->listen_fd = -1;
    cfg->max_request_line = 8 * 1024;
    cfg->max_header_bytes = 16 * 1024;
    cfg->max_headers = 100;
    cfg->max_body = 1024 * 1024;
    cfg->max_chunk_ext = 4 * 1024;
    cfg->max_trailer_bytes = 16 * 1024;
    cfg->header_timeout = 10.0;
    cfg->body_timeout = 30.0;
    cfg->keepalive_timeout = 5.0;
    cfg->write_timeout = 30.0;
    cfg->max_connections = 10000;
    cfg->grace = 30.0;
    cfg->output_high_water = 256 * 1024;
    cfg->send_batch_threshold = 5e-6;
    cfg->send_batch_max_wait = 500e-6;
    cfg->server_name = NULL;
    cfg->access_log = 0;
    cfg->problem_type_base = SQ_PROBLEM_TYPE_BASE_DEFAULT;
    cfg->cors = NULL;
    cfg->unavailable_retry_after = -1;
}

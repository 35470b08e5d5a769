/* teacher/human: a labelling page served by libmicrohttpd from inside the
 * run (docs/human-feedback.md).  Each query round is written as the file
 * teacher writes it (rounds.h); the page shows the round's clips side by
 * side and POSTs each answer, which is appended to the round's answers.txt,
 * so the file stays the one record a resumed run reads back.
 *
 * The server starts at the first round, in libmicrohttpd's own thread, on
 * 127.0.0.1 unless told otherwise, and answers only requests carrying the
 * run's token (128 random bits).  The teacher's thread and the server's
 * share the current round under one lock. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "rounds.h"
#include "teachers.h"

/* the largest request body accepted (an answer is ~30 bytes) */
#define BODY_LIMIT 1024
/* per-connection memory for the request line and headers */
#define HEADER_LIMIT (32 * 1024)

typedef struct {
    RoundsConfig cfg;
    int port_wanted;
    struct sockaddr_storage addr;   /* where to listen */
    socklen_t addr_len;
    char *host;                     /* the address as the page's URL shows it */
    char token[33];                 /* 128 random bits, hex */
    struct MHD_Daemon *daemon;
    int port;                       /* the port listened on */
    GMutex lock;                    /* guards current */
    Round *current;                 /* the round waiting for labels, or NULL */
} HumanTeacher;

/* ---- the bind address ----------------------------------------------------- */

/* parse `bind` into addr; refuse a non-loopback address unless allowed */
static gboolean parse_bind(const char *bind, gboolean allow_remote, struct sockaddr_storage *addr,
                           socklen_t *len, GError **error)
{
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
    gboolean loopback;
    if (inet_pton(AF_INET, bind, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        *len = sizeof *a4;
        loopback = (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, bind, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        *len = sizeof *a6;
        loopback = IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr);
    } else {
        char *shown = g_strescape(bind, NULL); /* one line, whatever the recipe held */
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "bind: '%s' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, ::1)", shown);
        g_free(shown);
        return FALSE;
    }
    if (!loopback && !allow_remote) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                    "bind: %s is not a loopback address: it exposes the labelling page to the "
                    "network; set allow_remote: true to allow it", bind);
        return FALSE;
    }
    return TRUE;
}

static gboolean human_validate(const PrefrlNode *params, const PrefrlContext *ctx,
                               GError **error)
{
    struct sockaddr_storage addr;
    socklen_t len;
    return parse_bind(prefrl_param_string(params, "bind"),
                      prefrl_param_bool(params, "allow_remote"), &addr, &len, error);
}

/* ---- responses ------------------------------------------------------------ */

static enum MHD_Result send_response(struct MHD_Connection *c, unsigned status,
                                     struct MHD_Response *resp, const char *type)
{
    if (!resp)
        return MHD_NO;
    if (type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    /* the token travels in URLs: keep them out of caches and referrers */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* a JSON reply the response takes (freed whatever happens) */
static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, char *json)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        g_free(json);
    return send_response(c, status, resp, "application/json");
}

/* a JSON error {"error": message} */
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *message)
{
    GString *s = g_string_new("{\"error\":\"");
    for (const char *p = message; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(s, '\\');
        if ((unsigned char)*p >= 0x20)
            g_string_append_c(s, *p);
    }
    g_string_append(s, "\"}");
    return reply_json(c, status, g_string_free(s, FALSE));
}

static enum MHD_Result get_page(struct MHD_Connection *c)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(teacher_human_page), (void *)teacher_human_page, MHD_RESPMEM_PERSISTENT);
    if (resp)
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; script-src 'unsafe-inline'; "
                                "style-src 'unsafe-inline'; media-src 'self'; connect-src 'self'");
    return send_response(c, MHD_HTTP_OK, resp, "text/html; charset=utf-8");
}

/* round.json plus "answered" and "done"; {"round":null} between rounds */
static char *round_state(HumanTeacher *t)
{
    g_mutex_lock(&t->lock);
    const Round *r = t->current;
    char *out;
    if (!r) {
        out = g_strdup("{\"round\":null}");
    } else {
        GString *s = g_string_new_len(r->json, (gssize)strlen(r->json) - 1); /* without '}' */
        g_string_append(s, ",\"answered\":{");
        for (int i = 0, k = 0; i < r->n; i++)
            if (r->labels[i] != ROUNDS_UNANSWERED)
                g_string_append_printf(s, "%s\"%d\":\"%s\"", k++ ? "," : "", i,
                                       rounds_label_word(r->labels[i]));
        g_string_append_printf(s, "},\"done\":%s}", r->answered == r->n ? "true" : "false");
        out = g_string_free(s, FALSE);
    }
    g_mutex_unlock(&t->lock);
    return out;
}

static enum MHD_Result get_round(HumanTeacher *t, struct MHD_Connection *c)
{
    return reply_json(c, MHD_HTTP_OK, round_state(t));
}

/* "bytes=A-B" or "bytes=A-" within size: TRUE and the inclusive range */
static gboolean parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || !g_ascii_isdigit(h[6]))
        return FALSE;
    char *end;
    errno = 0;
    uint64_t a = g_ascii_strtoull(h + 6, &end, 10), b = size ? size - 1 : 0;
    if (errno || *end != '-')
        return FALSE;
    if (end[1]) {
        char *end2;
        b = g_ascii_strtoull(end + 1, &end2, 10);
        if (errno || *end2 || b < a)
            return FALSE;
        b = MIN(b, size - 1);
    }
    if (a >= size)
        return FALSE;
    *from = a;
    *to = b;
    return TRUE;
}

static enum MHD_Result get_clip(HumanTeacher *t, struct MHD_Connection *c, const char *name)
{
    /* only the names round.json lists, so no path reaches outside the round */
    char *path = NULL;
    g_mutex_lock(&t->lock);
    if (t->current && t->current->clip_names)
        for (char **p = t->current->clip_names; *p; p++)
            if (strcmp(*p, name) == 0)
                path = g_build_filename(t->current->dir, name, NULL);
    g_mutex_unlock(&t->lock);
    if (!path)
        return reply_error(c, MHD_HTTP_NOT_FOUND, "no such clip in the current round");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    g_free(path);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return reply_error(c, MHD_HTTP_NOT_FOUND, "clip file missing");
    }
    const char *type = g_str_has_suffix(name, ".mp4") ? "video/mp4" : "video/webm";
    const uint64_t size = (uint64_t)st.st_size;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE);
    uint64_t from = 0, to = 0;
    if (range && size > 0 && parse_range(range, size, &from, &to)) {
        struct MHD_Response *resp =
            MHD_create_response_from_fd_at_offset64(to - from + 1, fd, from);
        if (!resp) {
            close(fd);
            return MHD_NO;
        }
        char cr[96];
        g_snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, from, to, size);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
        return send_response(c, MHD_HTTP_PARTIAL_CONTENT, resp, type);
    }
    if (range && g_str_has_prefix(range, "bytes=")) {
        close(fd);
        char cr[64];
        g_snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (resp)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        return send_response(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, resp, NULL);
    }
    struct MHD_Response *resp = MHD_create_response_from_fd64(size, fd);
    if (!resp) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    return send_response(c, MHD_HTTP_OK, resp, type);
}

/* "index=I&label=L[&round=R]" */
static enum MHD_Result post_answer(HumanTeacher *t, struct MHD_Connection *c, const char *body)
{
    int index = -1, label = ROUNDS_UNANSWERED;
    int64_t round = -1;
    gboolean bad = FALSE;
    char **pairs = g_strsplit(body, "&", 8);
    for (int k = 0; pairs[k] && !bad; k++) {
        char *eq = strchr(pairs[k], '=');
        if (!eq) {
            bad = *pairs[k] != '\0';
            continue;
        }
        *eq = '\0';
        const char *key = pairs[k], *val = eq + 1;
        guint64 v;
        /* each key once: a repeated one is refused, not guessed at */
        if (strcmp(key, "index") == 0)
            bad = index >= 0 || !g_ascii_string_to_unsigned(val, 10, 0, G_MAXINT, &v, NULL) ||
                  (index = (int)v) < 0;
        else if (strcmp(key, "round") == 0)
            bad = round >= 0 || !g_ascii_string_to_unsigned(val, 10, 1, G_MAXINT64, &v, NULL) ||
                  (round = (int64_t)v) < 0;
        else if (strcmp(key, "label") == 0)
            bad = label != ROUNDS_UNANSWERED ||
                  (label = rounds_label_from_word(val)) == ROUNDS_UNANSWERED;
    }
    g_strfreev(pairs);
    if (bad || index < 0 || label == ROUNDS_UNANSWERED)
        return reply_error(c, MHD_HTTP_BAD_REQUEST,
                           "expected index=I&label=L with L one of left, right, equal, skip");

    GError *err = NULL;
    unsigned status = MHD_HTTP_OK;
    char *json = NULL;
    g_mutex_lock(&t->lock);
    Round *r = t->current;
    if (!r) {
        status = MHD_HTTP_CONFLICT;
        err = g_error_new(PREFRL_ERROR, PREFRL_ERROR_CONFIG, "no round is waiting");
    } else if (round >= 0 && round != r->number) {
        status = MHD_HTTP_CONFLICT;
        err = g_error_new(PREFRL_ERROR, PREFRL_ERROR_CONFIG,
                          "round %" PRId64 " is not waiting (round %" PRId64 " is)", round,
                          r->number);
    } else if (!rounds_append_answer(r, index, label, &err)) {
        status = err->code == PREFRL_ERROR_IO ? MHD_HTTP_INTERNAL_SERVER_ERROR
                 : index >= r->n              ? MHD_HTTP_BAD_REQUEST
                                              : MHD_HTTP_CONFLICT;
    } else {
        json = g_strdup_printf("{\"ok\":true,\"round\":%" PRId64 ",\"index\":%d,\"label\":\"%s\","
                               "\"answered\":%d,\"total\":%d,\"done\":%s}",
                               r->number, index, rounds_label_word(label), r->answered, r->n,
                               r->answered == r->n ? "true" : "false");
    }
    g_mutex_unlock(&t->lock);
    if (err) {
        enum MHD_Result ret = reply_error(c, status, err->message);
        g_error_free(err);
        return ret;
    }
    return reply_json(c, status, json);
}

/* ---- the request handler ------------------------------------------------- */

/* per-request state: the body read so far */
typedef struct {
    GString *body;
    gboolean too_large;
} Request;

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    Request *rq = *con_cls;
    if (rq) {
        g_string_free(rq->body, TRUE);
        g_free(rq);
        *con_cls = NULL;
    }
}

/* compare the request's token with the run's in constant time */
static gboolean token_ok(const HumanTeacher *t, struct MHD_Connection *c)
{
    const char *given = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (!given || strlen(given) != sizeof t->token - 1)
        return FALSE;
    unsigned diff = 0;
    for (size_t i = 0; i < sizeof t->token - 1; i++)
        diff |= (unsigned char)given[i] ^ (unsigned char)t->token[i];
    return diff == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    HumanTeacher *t = cls;
    const gboolean get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    const gboolean post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    Request *rq = *con_cls;
    if (!rq) {
        /* first call: the headers only */
        if (!get && !post) {
            struct MHD_Response *resp = MHD_create_response_from_buffer(
                0, (void *)"", MHD_RESPMEM_PERSISTENT);
            if (resp)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, POST");
            return send_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, resp, NULL);
        }
        if (!token_ok(t, c))
            return reply_error(c, MHD_HTTP_FORBIDDEN, "wrong or missing token");
        if (post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_LENGTH);
            if (cl && g_ascii_strtoull(cl, NULL, 10) > BODY_LIMIT)
                return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
        }
        rq = g_new0(Request, 1);
        rq->body = g_string_new(NULL);
        *con_cls = rq;
        if (post)
            return MHD_YES; /* the body follows */
    }
    if (*upload_size) {
        if (rq->body->len + *upload_size > BODY_LIMIT)
            rq->too_large = TRUE;
        else
            g_string_append_len(rq->body, upload, (gssize)*upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_large)
        return reply_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");

    if (strcmp(url, "/") == 0)
        return get ? get_page(c) : reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    if (strcmp(url, "/round") == 0)
        return get ? get_round(t, c) : reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    if (g_str_has_prefix(url, "/clip/") && url[6])
        return get ? get_clip(t, c, url + 6)
                   : reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only");
    if (strcmp(url, "/answer") == 0)
        return post ? post_answer(t, c, rq->body->str)
                    : reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only");
    return reply_error(c, MHD_HTTP_NOT_FOUND, "no such page");
}

/* ---- the component -------------------------------------------------------- */

static void *human_create(const PrefrlNode *params, const PrefrlContext *ctx, GError **error)
{
    HumanTeacher *t = g_new0(HumanTeacher, 1);
    g_mutex_init(&t->lock);
    const char *bind = prefrl_param_string(params, "bind");
    gboolean ok = rounds_config_init(&t->cfg, "teacher/human", params, ctx, error);
    /* validate() checked it in a run; an instance made outside one was not */
    if (ok && !parse_bind(bind, prefrl_param_bool(params, "allow_remote"), &t->addr,
                          &t->addr_len, error)) {
        g_prefix_error(error, "teacher/human: ");
        ok = FALSE;
    }
    if (!ok) {
        rounds_config_clear(&t->cfg);
        g_mutex_clear(&t->lock);
        g_free(t);
        return NULL;
    }
    t->port_wanted = (int)prefrl_param_int(params, "port");
    /* the URL names the address listened on; an "any" address is reached
     * through loopback */
    if (t->addr.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&t->addr)->sin6_addr;
        t->host = IN6_IS_ADDR_UNSPECIFIED(a) ? g_strdup("[::1]") : g_strdup_printf("[%s]", bind);
    } else {
        t->host = ((struct sockaddr_in *)&t->addr)->sin_addr.s_addr == htonl(INADDR_ANY)
                      ? g_strdup("127.0.0.1")
                      : g_strdup(bind);
    }
    return t;
}

static void human_destroy(void *self)
{
    HumanTeacher *t = self;
    if (!t)
        return;
    if (t->daemon)
        MHD_stop_daemon(t->daemon);
    rounds_free(t->current);
    rounds_config_clear(&t->cfg);
    g_free(t->host);
    g_mutex_clear(&t->lock);
    g_free(t);
}

/* the token and the server, at the first round */
static gboolean start_server(HumanTeacher *t, GError **error)
{
    guint8 raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t k = getrandom(raw + got, sizeof raw - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            int e = errno;
            g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                        "teacher/human: no random bytes for the page's token: %s",
                        g_strerror(e));
            return FALSE;
        }
        got += (size_t)k;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        g_snprintf(t->token + 2 * i, 3, "%02x", raw[i]);

    if (t->addr.ss_family == AF_INET6)
        ((struct sockaddr_in6 *)&t->addr)->sin6_port = htons((uint16_t)t->port_wanted);
    else
        ((struct sockaddr_in *)&t->addr)->sin_port = htons((uint16_t)t->port_wanted);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD;
    if (t->addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    t->daemon = MHD_start_daemon(
        flags, (uint16_t)t->port_wanted, NULL, NULL, handle, t, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&t->addr, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_LIMIT,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_END);
    if (!t->daemon) {
        g_set_error(error, PREFRL_ERROR, PREFRL_ERROR_IO,
                    "teacher/human: cannot serve the labelling page on %s port %d (port in use, "
                    "or not an address of this machine?)", t->host, t->port_wanted);
        return FALSE;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(t->daemon, MHD_DAEMON_INFO_BIND_PORT);
    t->port = info ? info->port : t->port_wanted;
    return TRUE;
}

static gboolean human_label(void *self, const PrefrlTeacherQuery *q, int *labels, GError **error)
{
    HumanTeacher *t = self;
    if (!rounds_check_query(&t->cfg, q, error))
        return FALSE;
    if (!t->daemon && !start_server(t, error))
        return FALSE;
    Round *r = rounds_open(&t->cfg, q, error);
    if (!r)
        return FALSE;
    /* published before the URL is said: the page finds the round at once */
    g_mutex_lock(&t->lock);
    t->current = r;
    g_mutex_unlock(&t->lock);
    if (q->say && r->answered < r->n) {
        char *line;
        if (r->answered > 0)
            line = g_strdup_printf("labelling page: http://%s:%d/?token=%s (round %" PRId64
                                   ": %d queries, %d still unanswered)", t->host, t->port,
                                   t->token, r->number, r->n, r->n - r->answered);
        else
            line = g_strdup_printf("labelling page: http://%s:%d/?token=%s (round %" PRId64
                                   ": %d queries)", t->host, t->port, t->token, r->number,
                                   r->n);
        q->say(q->say_ctx, line);
        g_free(line);
    }
    gboolean ok = rounds_wait(&t->cfg, r, q, &t->lock, labels, error);
    g_mutex_lock(&t->lock);
    t->current = NULL;
    g_mutex_unlock(&t->lock);
    rounds_free(r);
    return ok;
}

static const PrefrlTeacherOps human_ops = {
    .struct_size = sizeof(PrefrlTeacherOps),
    .label = human_label,
};

static const PrefrlParamSpec human_params[] = {
    ROUNDS_COMMON_PARAMS,
    {"port", PREFRL_PARAM_INT, "0", 0, 65535, NULL,
     "TCP port of the labelling page; 0 = a free port (the URL is printed each round)"},
    {"bind", PREFRL_PARAM_STRING, "127.0.0.1", 0, 0, NULL,
     "address the page listens on (IPv4 or IPv6); a non-loopback address needs allow_remote"},
    {"allow_remote", PREFRL_PARAM_BOOL, "false", 0, 0, NULL,
     "true: allow a non-loopback bind address, which exposes the labelling page (and the "
     "run's clips) to the network, guarded by the URL's token alone over plain HTTP"},
    {NULL, 0, NULL, 0, 0, NULL, NULL}};

const PrefrlComponent teacher_human_component = {
    .struct_size = sizeof(PrefrlComponent),
    .kind = PREFRL_KIND_TEACHER,
    .name = "human",
    .summary = "a person labels each query round in the browser: a page served from the run "
               "(127.0.0.1, token in the URL) shows the two clips side by side",
    .params = human_params,
    .flags = PREFRL_FLAG_INTERACTIVE,
    .create = human_create,
    .destroy = human_destroy,
    .ops = &human_ops,
    .validate = human_validate,
};

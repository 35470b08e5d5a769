/* The interactive teachers (plugins/teacher/human): teacher/file's round
 * directory, round.json and answers.txt (comments, blank lines, the line
 * still being written, every refused line with its file and line), resume
 * of a partly answered round, a stale round moved aside, the timeout and
 * the stop flag; teacher/human's bind checks and its labelling page over a
 * real socket (403 without the token, 404, 405, 413, the page, the round's
 * JSON, clips with ranges, answers arriving in the returned labels and in
 * answers.txt, resume after an interruption); and a whole training run whose
 * query rounds are answered through the file protocol, with clips rendered
 * from the episode store, ending in labels.csv. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <prefrl/component.h>
#include <prefrl/pbrl.h>
#include "host/recipe.h"
#include "lab/video.h"
#include "pbrl/trainer.h"
#include "pbrl_test.h"
#include "video_test.h"
#include "check_run.h"

#define WORK TEST_BUILDDIR "/teacher-human-work"

/* ---- helpers -------------------------------------------------------------- */

/* the lines a teacher says, for the test to read from another thread */
typedef struct {
    GMutex lock;
    GCond cond;
    GPtrArray *lines;
} Said;

static void said_init(Said *s)
{
    g_mutex_init(&s->lock);
    g_cond_init(&s->cond);
    s->lines = g_ptr_array_new_with_free_func(g_free);
}

static void said_clear(Said *s)
{
    g_ptr_array_free(s->lines, TRUE);
    g_cond_clear(&s->cond);
    g_mutex_clear(&s->lock);
}

static void say_cb(void *ctx, const char *line)
{
    Said *s = ctx;
    g_mutex_lock(&s->lock);
    g_ptr_array_add(s->lines, g_strdup(line));
    g_cond_broadcast(&s->cond);
    g_mutex_unlock(&s->lock);
}

/* the first said line starting with prefix, waiting up to 20 s (transfer full) */
static char *said_wait(Said *s, const char *prefix)
{
    gint64 until = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
    char *found = NULL;
    g_mutex_lock(&s->lock);
    while (!found) {
        for (guint i = 0; i < s->lines->len && !found; i++)
            if (g_str_has_prefix(s->lines->pdata[i], prefix))
                found = g_strdup(s->lines->pdata[i]);
        if (!found && !g_cond_wait_until(&s->cond, &s->lock, until))
            break;
    }
    g_mutex_unlock(&s->lock);
    ck_assert_msg(found, "nothing said starting with '%s'", prefix);
    return found;
}

static PrefrlInstance *teacher(const char *name, const char *dir, const char *const *extra)
{
    const char *ov[16];
    int n = 0;
    char *d = g_strdup_printf("dir=%s", dir);
    ov[n++] = d;
    ov[n++] = "poll_interval=0.02";
    for (const char *const *e = extra; e && *e; e++)
        ov[n++] = *e;
    ov[n] = NULL;
    GError *err = NULL;
    PrefrlInstance *t = prefrl_instance_create(PREFRL_KIND_TEACHER, name, ov, 1, NULL, &err);
    ck_assert_msg(t != NULL, "%s", err ? err->message : "?");
    ck_assert(prefrl_instance_component(t)->flags & PREFRL_FLAG_INTERACTIVE);
    g_free(d);
    return t;
}

static gboolean label(PrefrlInstance *t, const PrefrlTeacherQuery *q, int *labels, GError **err)
{
    const PrefrlTeacherOps *ops = prefrl_instance_ops(t);
    return ops->label(prefrl_instance_self(t), q, labels, err);
}

/* a round of n pairs of H-step segments (1 obs, 1 act) whose contents
 * depend on `salt` */
enum { NQ = 4, H = 5, ROW = 2 };
typedef struct {
    float r1[NQ * H], r2[NQ * H], s1[NQ * H * ROW], s2[NQ * H * ROW];
    PrefrlTeacherQuery q;
} Query;

static void query_init(Query *x, int n, float salt, Said *said, volatile sig_atomic_t *stop)
{
    for (int k = 0; k < NQ * H; k++) {
        x->r1[k] = salt + (float)k;
        x->r2[k] = salt - (float)k;
    }
    for (int k = 0; k < NQ * H * ROW; k++) {
        x->s1[k] = salt * (float)k;
        x->s2[k] = -salt * (float)k;
    }
    x->q = (PrefrlTeacherQuery){.struct_size = sizeof x->q, .n = n, .H = H, .r1 = x->r1,
                                .r2 = x->r2, .lo = 0, .hi = H, .margin = 1, .first = TRUE,
                                .obs_dim = 1, .act_dim = 1, .seg1 = x->s1, .seg2 = x->s2,
                                .round = 3, .step = 20000, .budget_left = 70, .stop = stop,
                                .say = say_cb, .say_ctx = said};
}

/* label once more and expect the error `code` with `message` */
static void expect_error(PrefrlInstance *t, const Query *x, int code, const char *message)
{
    int labels[NQ];
    GError *err = NULL;
    ck_assert(!label(t, &x->q, labels, &err));
    ck_assert_msg(err != NULL, "no error");
    ck_assert_msg(strcmp(err->message, message) == 0, "got '%s'\nwanted '%s'", err->message,
                  message);
    ck_assert_int_eq(err->code, code);
    g_error_free(err);
}

/* a teacher on a fresh work directory and the round it is asked */
typedef struct {
    char *dir;  /* WORK/<name> */
    char *rdir; /* the round's directory in it (round 3's) */
    Said said;  /* what the teacher says */
    Query x;
    PrefrlInstance *t;
} Bench;

/* teacher/`kind` with the overrides `ov` in WORK/`name`, asked a round of n
 * queries whose stop flag is `stop` (may be NULL) */
static void bench_init(Bench *b, const char *kind, const char *name, int n,
                       volatile sig_atomic_t *stop, const char *const *ov)
{
    b->dir = test_fresh_dir(WORK, name);
    b->rdir = g_build_filename(b->dir, "round-0003", NULL);
    said_init(&b->said);
    query_init(&b->x, n, 1, &b->said, stop);
    b->t = teacher(kind, b->dir, ov);
}

static void bench_clear(Bench *b)
{
    prefrl_instance_free(b->t);
    said_clear(&b->said);
    g_free(b->rdir);
    g_free(b->dir);
}

/* ---- teacher/file --------------------------------------------------------- */

START_TEST(test_file_round)
{
    const char *const ov[] = {"clips=false", "timeout=0.1", NULL};
    Bench b;
    bench_init(&b, "file", "file-round", NQ, NULL, ov);
    char *msg = g_strdup_printf("teacher/file: round 3 not answered within 0.1 s (timeout; 0 of 4 "
                                "queries answered, kept in %s/round-0003/answers.txt for "
                                "`prefrl resume`)", b.dir);
    expect_error(b.t, &b.x, PREFRL_ERROR_IO, msg);
    g_free(msg);
    char *line = said_wait(&b.said, "teacher/file: round 3:");
    char *want = g_strdup_printf("teacher/file: round 3: 4 queries in %s/round-0003/ (answers.txt)",
                                 b.dir);
    ck_assert_str_eq(line, want);
    g_free(want);
    g_free(line);

    char *json = test_slurp(b.rdir, "round.json");
    ck_assert_msg(g_str_has_prefix(json, "{\"format\":\"prefrl-queries\",\"version\":1,\"round\":3,"
                                         "\"step\":20000,\"budget_left\":70,\"fingerprint\":\""),
                  "%s", json);
    ck_assert_msg(g_str_has_suffix(json, "\"queries\":[{\"index\":0,\"left\":null,\"right\":null},"
                                         "{\"index\":1,\"left\":null,\"right\":null},"
                                         "{\"index\":2,\"left\":null,\"right\":null},"
                                         "{\"index\":3,\"left\":null,\"right\":null}]}"),
                  "%s", json);

    /* comments, blanks, spaces and tabs, a repeated answer; the last line has
     * no '\n' yet: it is not read */
    test_put(b.rdir, "answers.txt", "# labels\n\n0 left\n  2\tright  \n0 left\n1 equal\n3 skip");
    msg = g_strdup_printf("teacher/file: round 3 not answered within 0.1 s (timeout; 3 of 4 "
                          "queries answered, kept in %s/round-0003/answers.txt for "
                          "`prefrl resume`)", b.dir);
    expect_error(b.t, &b.x, PREFRL_ERROR_IO, msg);
    g_free(msg);
    /* the resumed round asks only the rest, and keeps round.json's fingerprint */
    line = said_wait(&b.said, "teacher/file: round 3: 1 of 4");
    g_free(line);
    char *json2 = test_slurp(b.rdir, "round.json");
    ck_assert_str_eq(json, json2);
    g_free(json2);
    g_free(json);

    test_put(b.rdir, "answers.txt", "# labels\n\n0 left\n  2\tright  \n0 left\n1 equal\n3 skip\n");
    int labels[NQ];
    GError *err = NULL;
    ck_assert_msg(label(b.t, &b.x.q, labels, &err), "%s", err ? err->message : "");
    ck_assert_int_eq(labels[0], PREFRL_LABEL_FIRST);
    ck_assert_int_eq(labels[1], PREFRL_LABEL_EQUAL);
    ck_assert_int_eq(labels[2], PREFRL_LABEL_SECOND);
    ck_assert_int_eq(labels[3], PREFRL_LABEL_SKIP);
    ck_assert(!g_file_test(WORK "/file-round/round-0003.old-1", G_FILE_TEST_EXISTS));

    bench_clear(&b);
}
END_TEST

START_TEST(test_file_bad_answers)
{
    const char *const ov[] = {"clips=false", "timeout=0.05", NULL};
    Bench b;
    bench_init(&b, "file", "file-bad", NQ, NULL, ov);
    char *msg = g_strdup_printf("teacher/file: round 3 not answered within 0.05 s (timeout; 0 of "
                                "4 queries answered, kept in %s/answers.txt for `prefrl resume`)",
                                b.rdir);
    expect_error(b.t, &b.x, PREFRL_ERROR_IO, msg);
    g_free(msg);
    static const struct {
        const char *text, *error;
    } cases[] = {
        {"0 left\n\n1 lft\n", "3: unknown label 'lft' (left, right, equal, skip)"},
        {"0 left\n# x\n7 right\n", "3: index 7 out of range (round 3 has 4 queries: 0 to 3)"},
        {"0 left\n1 equal\n0 right\n", "3: index 0 answered 'right' here and 'left' on line 1"},
        {"zero left\n", "1: expected 'INDEX LABEL' (e.g. '0 left'), got 'zero left'"},
        {"1 left now\n", "1: expected 'INDEX LABEL' (e.g. '0 left'), got '1 left now'"},
        {"-1 left\n", "1: expected 'INDEX LABEL' (e.g. '0 left'), got '-1 left'"},
        {"1\n", "1: expected 'INDEX LABEL' (e.g. '0 left'), got '1'"},
        {"2 Left\n", "1: unknown label 'Left' (left, right, equal, skip)"},
        {"99999999999 left\n", "1: expected 'INDEX LABEL' (e.g. '0 left'), got "
                               "'99999999999 left'"},
    };
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        test_put(b.rdir, "answers.txt", cases[c].text);
        msg = g_strdup_printf("%s/answers.txt:%s", b.rdir, cases[c].error);
        expect_error(b.t, &b.x, PREFRL_ERROR_CONFIG, msg);
        g_free(msg);
    }
    /* a file far larger than any answers */
    char *answers = g_build_filename(b.rdir, "answers.txt", NULL);
    ck_assert_int_eq(truncate(answers, 5 << 20), 0);
    msg = g_strdup_printf("%s/answers.txt: 5242880 bytes, more than the 4 MiB an answers file "
                          "may have", b.rdir);
    expect_error(b.t, &b.x, PREFRL_ERROR_CONFIG, msg);
    g_free(msg);
    g_free(answers);
    bench_clear(&b);
}
END_TEST

START_TEST(test_file_stale_round_moved)
{
    const char *const ov[] = {"clips=false", "timeout=0.05", NULL};
    Bench b;
    bench_init(&b, "file", "file-stale", NQ, NULL, ov);
    GError *err = NULL;
    int labels[NQ];
    ck_assert(!label(b.t, &b.x.q, labels, &err));
    g_clear_error(&err);
    test_put(b.rdir, "answers.txt", "0 left\n");
    for (int k = 1; k <= 2; k++) {
        /* other queries under the same round number */
        query_init(&b.x, NQ, 1 + (float)k, &b.said, NULL);
        ck_assert(!label(b.t, &b.x.q, labels, &err));
        ck_assert_int_eq(err->code, PREFRL_ERROR_IO);
        g_clear_error(&err);
        char *want = g_strdup_printf("teacher/file: %s held other queries (another run or "
                                     "recipe): moved to %s.old-%d", b.rdir, b.rdir, k);
        char *line = said_wait(&b.said, want);
        g_free(line);
        g_free(want);
    }
    char *old1 = g_strdup_printf("%s.old-1", b.rdir), *old2 = g_strdup_printf("%s.old-2", b.rdir);
    char *kept = test_slurp(old1, "answers.txt");
    ck_assert_str_eq(kept, "0 left\n");
    g_free(kept);
    ck_assert(g_file_test(old2, G_FILE_TEST_IS_DIR));
    char *path = g_build_filename(b.rdir, "answers.txt", NULL);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    g_free(old1);
    g_free(old2);
    bench_clear(&b);
}
END_TEST

START_TEST(test_file_stop_and_errors)
{
    const char *const ov[] = {"clips=false", NULL};
    Bench b;
    bench_init(&b, "file", "file-stop", NQ, &pbrl_test_stop, ov);
    GThread *th = pbrl_test_press_ctrl_c();
    char *msg = g_strdup_printf("teacher/file: interrupted while round 3 waited (0 of 4 queries "
                                "answered, kept in %s/round-0003/answers.txt)", b.dir);
    gint64 t0 = g_get_monotonic_time();
    expect_error(b.t, &b.x, PREFRL_ERROR_INTERRUPTED, msg);
    ck_assert_int_lt(g_get_monotonic_time() - t0, 5 * G_TIME_SPAN_SECOND);
    g_thread_join(th);
    g_free(msg);
    prefrl_instance_free(b.t);

    /* clips need a trainer that renders them */
    b.t = teacher("file", b.dir, NULL);
    expect_error(b.t, &b.x, PREFRL_ERROR_CONFIG,
                 "teacher/file: the environment cannot render clips (clips: false labels without "
                 "them)");
    /* a trainer older than the interactive fields */
    b.x.q.struct_size = offsetof(PrefrlTeacherQuery, round);
    expect_error(b.t, &b.x, PREFRL_ERROR_CONFIG,
                 "teacher/file: this trainer passes no query rounds to interactive teachers");

    /* outside a run, without dir */
    GError *err = NULL;
    ck_assert(!prefrl_instance_create(PREFRL_KIND_TEACHER, "file", NULL, 1, NULL, &err));
    ck_assert_str_eq(err->message, "teacher/file: no run directory to write the queries in: set dir");
    g_clear_error(&err);
    bench_clear(&b);
}
END_TEST

/* ---- teacher/human: bind checks ------------------------------------------ */

START_TEST(test_human_bind)
{
    static const struct {
        const char *bind, *remote, *error;
    } cases[] = {
        {"bind=0.0.0.0", NULL,
         "teacher/human: bind: 0.0.0.0 is not a loopback address: it exposes the labelling page "
         "to the network; set allow_remote: true to allow it"},
        {"bind=192.168.1.20", NULL,
         "teacher/human: bind: 192.168.1.20 is not a loopback address: it exposes the labelling "
         "page to the network; set allow_remote: true to allow it"},
        {"bind=::", NULL,
         "teacher/human: bind: :: is not a loopback address: it exposes the labelling page to "
         "the network; set allow_remote: true to allow it"},
        {"bind=localhost", NULL,
         "teacher/human: bind: 'localhost' is not an IPv4 or IPv6 address (e.g. 127.0.0.1, ::1)"},
        {"bind=0.0.0.0", "allow_remote=true", NULL},
        {"bind=127.0.0.2", NULL, NULL},
        {"bind=::1", NULL, NULL},
    };
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        const char *ov[] = {"dir=" WORK, cases[c].bind, cases[c].remote, NULL};
        GError *err = NULL;
        PrefrlInstance *t = prefrl_instance_create(PREFRL_KIND_TEACHER, "human", ov, 1, NULL, &err);
        if (cases[c].error) {
            ck_assert_msg(!t, "%s accepted", cases[c].bind);
            ck_assert_str_eq(err->message, cases[c].error);
            ck_assert_int_eq(err->code, PREFRL_ERROR_CONFIG);
            g_clear_error(&err);
        } else {
            ck_assert_msg(t, "%s: %s", cases[c].bind, err ? err->message : "");
            prefrl_instance_free(t);
        }
    }
}
END_TEST

/* ---- teacher/human: the page over HTTP ----------------------------------- */

/* a real clip: a few frames through the lab layer's encoder, a colour per
 * pair and side */
static gboolean encode_clip(void *ctx, int i, int which, const char *path, const char *camera,
                            int width, int height, int fps, GError **error)
{
    PrefrlVideo *v = prefrl_video_open(path, width, height, fps, error);
    if (!v)
        return FALSE;
    guint8 *rgb = g_malloc((size_t)width * height * 3);
    gboolean ok = TRUE;
    for (int f = 0; ok && f < 4; f++) {
        for (int p = 0; p < width * height; p++) {
            rgb[3 * p] = (guint8)(40 * i);
            rgb[3 * p + 1] = (guint8)(which ? 200 : 50);
            rgb[3 * p + 2] = (guint8)(30 * f);
        }
        ok = prefrl_video_add_frame(v, rgb, error);
    }
    g_free(rgb);
    if (!ok) {
        prefrl_video_free(v);
        return FALSE;
    }
    return prefrl_video_close(v, error);
}

typedef struct {
    int status;
    char *headers; /* lower-cased */
    char *body;
    size_t body_len;
} Response;

static void response_clear(Response *r)
{
    g_free(r->headers);
    g_free(r->body);
}

/* one HTTP/1.1 request over a plain socket to 127.0.0.1:port */
static Response http(int port, const char *method, const char *target, const char *extra_headers,
                     const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect: %s",
                  g_strerror(errno));
    GString *req = g_string_new(NULL);
    g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s",
                           method, target, port, extra_headers ? extra_headers : "");
    if (body)
        g_string_append_printf(req,
                               "Content-Type: application/x-www-form-urlencoded\r\n"
                               "Content-Length: %zu\r\n\r\n%s",
                               strlen(body), body);
    else
        g_string_append(req, "\r\n");
    for (size_t off = 0; off < req->len;) {
        ssize_t w = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may answer (413) and close before reading it all */
        off += (size_t)w;
    }
    g_string_free(req, TRUE);
    GString *in = g_string_new(NULL);
    char buf[4096];
    ssize_t k;
    while ((k = recv(fd, buf, sizeof buf, 0)) > 0)
        g_string_append_len(in, buf, k);
    close(fd);
    Response r = {0};
    char *sep = strstr(in->str, "\r\n\r\n");
    ck_assert_msg(sep != NULL, "no HTTP response: '%s'", in->str);
    ck_assert_int_eq(sscanf(in->str, "HTTP/1.1 %d", &r.status), 1);
    r.headers = g_ascii_strdown(in->str, sep - in->str);
    r.body_len = in->len - (size_t)(sep + 4 - in->str);
    r.body = g_memdup2(sep + 4, r.body_len + 1);
    g_string_free(in, TRUE);
    return r;
}

static int status_of(int port, const char *method, const char *target, const char *body)
{
    Response r = http(port, method, target, NULL, body);
    int s = r.status;
    response_clear(&r);
    return s;
}

typedef struct {
    PrefrlInstance *t;
    const PrefrlTeacherQuery *q;
    int labels[NQ];
    gboolean ok;
    GError *err;
} LabelJob;

static gpointer label_thread(gpointer data)
{
    LabelJob *j = data;
    j->ok = label(j->t, j->q, j->labels, &j->err);
    return NULL;
}

/* the port and token of a "labelling page: http://127.0.0.1:PORT/?token=T ..." line */
static void parse_url(const char *line, int *port, char *token)
{
    ck_assert_msg(sscanf(line, "labelling page: http://127.0.0.1:%d/?token=%32[0-9a-f]", port,
                         token) == 2, "%s", line);
    ck_assert_int_eq(strlen(token), 32);
}

/* the bench's round labelled on a new thread (*th) into *job; the line
 * announcing its labelling page, whose port and token it reads (transfer full) */
static char *serve(Bench *b, LabelJob *job, GThread **th, int *port, char *token)
{
    *job = (LabelJob){.t = b->t, .q = &b->x.q};
    *th = g_thread_new("label", label_thread, job);
    char *line = said_wait(&b->said, "labelling page: ");
    parse_url(line, port, token);
    return line;
}

static char *tgt(const char *path, const char *token)
{
    return g_strdup_printf("%s?token=%s", path, token);
}

START_TEST(test_human_http)
{
    const char *const ov[] = {"width=64", "height=48", NULL};
    Bench b;
    bench_init(&b, "human", "human-http", NQ, NULL, ov);
    b.x.q.write_clip = encode_clip;
    LabelJob job;
    GThread *th;
    int port;
    char token[33];
    char *line = serve(&b, &job, &th, &port, token);
    ck_assert(g_str_has_suffix(line, " (round 3: 4 queries)"));
    g_free(line);

    /* a second teacher cannot take the same port */
    char *port_ov = g_strdup_printf("port=%d", port);
    char *dir2 = test_fresh_dir(WORK, "human-http-2");
    const char *const ov2[] = {port_ov, NULL};
    PrefrlInstance *t2 = teacher("human", dir2, ov2);
    char *msg = g_strdup_printf("teacher/human: cannot serve the labelling page on 127.0.0.1 port "
                                "%d (port in use, or not an address of this machine?)", port);
    expect_error(t2, &b.x, PREFRL_ERROR_IO, msg);
    g_free(msg);
    prefrl_instance_free(t2);
    g_free(dir2);
    g_free(port_ov);

    /* the token, the paths, the methods, the sizes */
    ck_assert_int_eq(status_of(port, "GET", "/", NULL), 403);
    ck_assert_int_eq(status_of(port, "GET", "/round?token=0123", NULL), 403);
    ck_assert_int_eq(status_of(port, "GET", "/round?token=00000000000000000000000000000000", NULL),
                     403);
    ck_assert_int_eq(status_of(port, "POST", "/answer", "index=0&label=left"), 403);
    ck_assert_int_eq(status_of(port, "GET", "/clip/q0000-left.webm", NULL), 403);
    char *u = tgt("/nowhere", token);
    ck_assert_int_eq(status_of(port, "GET", u, NULL), 404);
    g_free(u);
    u = tgt("/clip/../round.json", token);
    ck_assert_int_eq(status_of(port, "GET", u, NULL), 404);
    g_free(u);
    u = tgt("/clip/answers.txt", token);
    ck_assert_int_eq(status_of(port, "GET", u, NULL), 404);
    g_free(u);
    u = tgt("/", token);
    ck_assert_int_eq(status_of(port, "PUT", u, NULL), 405);
    ck_assert_int_eq(status_of(port, "DELETE", u, NULL), 405);
    g_free(u);
    u = tgt("/answer", token);
    char *big = g_strnfill(5000, 'x');
    ck_assert_int_eq(status_of(port, "POST", u, big), 413);
    ck_assert_int_eq(status_of(port, "GET", u, NULL), 405);
    g_free(big);
    g_free(u);

    /* the page and its elements */
    u = tgt("/", token);
    Response r = http(port, "GET", u, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strstr(r.headers, "content-type: text/html"), "%s", r.headers);
    static const char *const ids[] = {"round", "progress", "budget", "query", "status",
                                      "left-video", "right-video", "btn-left", "btn-right",
                                      "btn-equal", "btn-skip"};
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        char *attr = g_strdup_printf("id=\"%s\"", ids[i]);
        ck_assert_msg(strstr(r.body, attr), "the page lacks %s", attr);
        g_free(attr);
    }
    ck_assert(!strstr(r.body, "http://") && !strstr(r.body, "https://"));
    response_clear(&r);
    g_free(u);

    /* the round */
    u = tgt("/round", token);
    r = http(port, "GET", u, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(strstr(r.headers, "content-type: application/json"));
    ck_assert_msg(g_str_has_prefix(r.body, "{\"format\":\"prefrl-queries\",\"version\":1,"
                                           "\"round\":3,\"step\":20000,\"budget_left\":70,"),
                  "%s", r.body);
    ck_assert_msg(strstr(r.body, "\"fps\":30,\"width\":64,\"height\":48,"), "%s", r.body);
    ck_assert_msg(strstr(r.body, "{\"index\":1,\"left\":\"q0001-left.webm\",\"right\":"
                                 "\"q0001-right.webm\"}"), "%s", r.body);
    ck_assert_msg(g_str_has_suffix(r.body, "}],\"answered\":{},\"done\":false}"), "%s", r.body);
    response_clear(&r);

    /* a clip, whole and in part */
    char *clip_path = g_build_filename(b.rdir, "q0002-right.webm", NULL), *clip;
    gsize clip_len;
    ck_assert(g_file_get_contents(clip_path, &clip, &clip_len, NULL));
    ck_assert_uint_gt(clip_len, 100);
    ck_assert(memcmp(clip, "\x1a\x45\xdf\xa3", 4) == 0); /* EBML: a WebM file */
    char *cu = tgt("/clip/q0002-right.webm", token);
    r = http(port, "GET", cu, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(strstr(r.headers, "content-type: video/webm"));
    ck_assert_uint_eq(r.body_len, clip_len);
    ck_assert(memcmp(r.body, clip, clip_len) == 0);
    response_clear(&r);
    r = http(port, "GET", cu, "Range: bytes=10-19\r\n", NULL);
    ck_assert_int_eq(r.status, 206);
    ck_assert_uint_eq(r.body_len, 10);
    ck_assert(memcmp(r.body, clip + 10, 10) == 0);
    char *cr = g_strdup_printf("content-range: bytes 10-19/%zu", (size_t)clip_len);
    ck_assert_msg(strstr(r.headers, cr), "%s", r.headers);
    g_free(cr);
    response_clear(&r);
    r = http(port, "GET", cu, "Range: bytes=999999-\r\n", NULL);
    ck_assert_int_eq(r.status, 416);
    response_clear(&r);
    g_free(cu);
    g_free(clip);
    g_free(clip_path);

    /* answers */
    g_free(u);
    u = tgt("/answer", token);
    r = http(port, "POST", u, NULL, "index=2&label=right");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"ok\":true,\"round\":3,\"index\":2,\"label\":\"right\","
                             "\"answered\":1,\"total\":4,\"done\":false}");
    response_clear(&r);
    ck_assert_int_eq(status_of(port, "POST", u, "index=2&label=right"), 200);
    ck_assert_int_eq(status_of(port, "POST", u, "index=2&label=left"), 409);
    ck_assert_int_eq(status_of(port, "POST", u, "index=4&label=left"), 400);
    ck_assert_int_eq(status_of(port, "POST", u, "index=1&label=lft"), 400);
    ck_assert_int_eq(status_of(port, "POST", u, "index=-1&label=left"), 400);
    ck_assert_int_eq(status_of(port, "POST", u, "label=left"), 400);
    ck_assert_int_eq(status_of(port, "POST", u, "index=1&label=left&index=3"), 400);
    ck_assert_int_eq(status_of(port, "POST", u, "index=1&label=left&label=right"), 400);
    r = http(port, "POST", u, NULL, "index=1&label=left&round=2");
    ck_assert_int_eq(r.status, 409);
    ck_assert_str_eq(r.body, "{\"error\":\"round 2 is not waiting (round 3 is)\"}");
    response_clear(&r);
    ck_assert_int_eq(status_of(port, "POST", u, "index=0&label=skip&round=3"), 200);
    char *ru = tgt("/round", token);
    r = http(port, "GET", ru, NULL, NULL);
    ck_assert_msg(g_str_has_suffix(r.body, "\"answered\":{\"0\":\"skip\",\"2\":\"right\"},"
                                           "\"done\":false}"), "%s", r.body);
    response_clear(&r);
    ck_assert_int_eq(status_of(port, "POST", u, "index=3&label=equal"), 200);
    r = http(port, "POST", u, NULL, "index=1&label=left");
    ck_assert_int_eq(r.status, 200);
    ck_assert(g_str_has_suffix(r.body, "\"answered\":4,\"total\":4,\"done\":true}"));
    response_clear(&r);
    g_thread_join(th);
    ck_assert_msg(job.ok, "%s", job.err ? job.err->message : "");
    ck_assert_int_eq(job.labels[0], PREFRL_LABEL_SKIP);
    ck_assert_int_eq(job.labels[1], PREFRL_LABEL_FIRST);
    ck_assert_int_eq(job.labels[2], PREFRL_LABEL_SECOND);
    ck_assert_int_eq(job.labels[3], PREFRL_LABEL_EQUAL);
    char *answers = test_slurp(b.rdir, "answers.txt");
    ck_assert_str_eq(answers, "2 right\n0 skip\n3 equal\n1 left\n");
    g_free(answers);

    /* between rounds the page waits; no answer is taken */
    r = http(port, "GET", ru, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"round\":null}");
    response_clear(&r);
    r = http(port, "POST", u, NULL, "index=1&label=left");
    ck_assert_int_eq(r.status, 409);
    ck_assert_str_eq(r.body, "{\"error\":\"no round is waiting\"}");
    response_clear(&r);
    g_free(ru);
    g_free(u);
    bench_clear(&b);
}
END_TEST

START_TEST(test_human_resume)
{
    const char *const ov[] = {"width=32", "height=32", "format=mp4", NULL};
    pbrl_test_stop = 0;
    Bench b;
    bench_init(&b, "human", "human-resume", 3, &pbrl_test_stop, ov);
    b.x.q.write_clip = encode_clip;
    LabelJob job;
    GThread *th;
    int port;
    char token[33];
    char *line = serve(&b, &job, &th, &port, token);
    g_free(line);
    char *u = tgt("/answer", token);
    ck_assert_int_eq(status_of(port, "POST", u, "index=1&label=left"), 200);
    g_free(u);
    pbrl_test_stop = 1; /* Ctrl-C: the page is left with two queries unanswered */
    g_thread_join(th);
    ck_assert(!job.ok);
    ck_assert_int_eq(job.err->code, PREFRL_ERROR_INTERRUPTED);
    g_clear_error(&job.err);
    prefrl_instance_free(b.t);

    /* `prefrl resume`: a new teacher, a new port and token, the same round */
    pbrl_test_stop = 0;
    g_ptr_array_set_size(b.said.lines, 0);
    b.t = teacher("human", b.dir, ov);
    line = serve(&b, &job, &th, &port, token);
    ck_assert_msg(g_str_has_suffix(line, " (round 3: 3 queries, 2 still unanswered)"), "%s", line);
    g_free(line);
    u = tgt("/round", token);
    Response r = http(port, "GET", u, NULL, NULL);
    ck_assert_msg(strstr(r.body, "\"left\":\"q0000-left.mp4\""), "%s", r.body);
    ck_assert_msg(g_str_has_suffix(r.body, "\"answered\":{\"1\":\"left\"},\"done\":false}"), "%s",
                  r.body);
    response_clear(&r);
    g_free(u);
    u = tgt("/clip/q0001-right.mp4", token);
    r = http(port, "GET", u, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert(strstr(r.headers, "content-type: video/mp4"));
    response_clear(&r);
    g_free(u);
    u = tgt("/answer", token);
    ck_assert_int_eq(status_of(port, "POST", u, "index=0&label=right"), 200);
    ck_assert_int_eq(status_of(port, "POST", u, "index=2&label=equal"), 200);
    g_free(u);
    g_thread_join(th);
    ck_assert_msg(job.ok, "%s", job.err ? job.err->message : "");
    ck_assert_int_eq(job.labels[0], PREFRL_LABEL_SECOND);
    ck_assert_int_eq(job.labels[1], PREFRL_LABEL_FIRST);
    ck_assert_int_eq(job.labels[2], PREFRL_LABEL_EQUAL);
    bench_clear(&b);
}
END_TEST

/* ---- a training run answered through the file protocol ------------------- */

/* the label the responder gives query i of round r */
static const char *answer_for(int r, int i)
{
    static const char *const words[] = {"left", "right", "equal", "skip"};
    return words[(r + i) % 4];
}

/* labels.csv's value of an answers.txt word */
static int label_value(const char *word)
{
    return strcmp(word, "left") == 0    ? PREFRL_LABEL_FIRST
           : strcmp(word, "right") == 0 ? PREFRL_LABEL_SECOND
           : strcmp(word, "equal") == 0 ? PREFRL_LABEL_EQUAL
                                        : PREFRL_LABEL_SKIP;
}

typedef struct {
    const char *run_dir;
    int first, rounds, per_round;
    int bad_round;       /* a round first answered with a bad line (0: none) */
    volatile gint stop;
    int seen;            /* clips found and looking like WebM */
} Responder;

/* the answers.txt of round r */
static char *answers_text(int r, int per_round)
{
    GString *a = g_string_new("# answered by the test\n");
    for (int i = 0; i < per_round; i++)
        g_string_append_printf(a, "%d %s\n", i, answer_for(r, i));
    return g_string_free(a, FALSE);
}

/* answer each round as its round.json appears, checking its clips */
static gpointer responder(gpointer data)
{
    Responder *rs = data;
    for (int r = rs->first; r <= rs->rounds && !g_atomic_int_get(&rs->stop);) {
        char *rdir = g_strdup_printf("%s/queries/round-%04d", rs->run_dir, r);
        char *json_path = g_build_filename(rdir, "round.json", NULL);
        if (!g_file_test(json_path, G_FILE_TEST_EXISTS)) {
            g_free(json_path);
            g_free(rdir);
            g_usleep(20 * 1000);
            continue;
        }
        for (int i = 0; i < rs->per_round; i++)
            for (int which = 0; which < 2; which++) {
                char *clip = g_strdup_printf("%s/q%04d-%s.webm", rdir, i, which ? "right" : "left");
                char *bytes = NULL;
                gsize len = 0;
                if (g_file_get_contents(clip, &bytes, &len, NULL) && len > 4 &&
                    memcmp(bytes, "\x1a\x45\xdf\xa3", 4) == 0)
                    rs->seen++;
                g_free(bytes);
                g_free(clip);
            }
        char *text = r == rs->bad_round ? g_strdup("0 left\n1 lft\n") : answers_text(r, rs->per_round);
        char *ans = g_build_filename(rdir, "answers.txt", NULL);
        g_file_set_contents(ans, text, -1, NULL);
        g_free(ans);
        g_free(text);
        g_free(json_path);
        g_free(rdir);
        if (r == rs->bad_round)
            break; /* the run stops there */
        r++;
    }
    return NULL;
}

static PrefrlNode *run_recipe(void)
{
    const char *const agent[] = {"agent.name=fixture_probe", NULL};
    const char *const reward[] = {"reward.name=pebble", NULL};
    const char *const extra[] = {"env.task=cartpole_swingup", "env.episode_length=100",
                                 "trainer.num_train_steps=620", "trainer.max_feedback=12",
                                 "trainer.reward_batch=4", "sampler.name=uniform",
                                 "teacher.name=file", "teacher.width=48", "teacher.height=32",
                                 "teacher.poll_interval=0.02", "teacher.timeout=120", NULL};
    return pbrl_test_short_recipe(agent, reward, extra);
}

/* run (or resume) the trainer in dir with a responder answering rounds
 * first.., returning the run's outcome; rs->seen counts the clips checked */
static gboolean run_answered(PrefrlNode *root, const char *dir, gboolean resume, Responder *rs,
                             GError **err)
{
    PrefrlTrainer *t = resume ? prefrl_trainer_resume(root, pbrl_test_registry(), dir, err)
                              : prefrl_trainer_new(root, pbrl_test_registry(), dir, err);
    ck_assert_msg(t != NULL, "%s", *err ? (*err)->message : "");
    prefrl_trainer_set_video_sink(t, &video_test_sink);
    GThread *th = g_thread_new("responder", responder, rs);
    gboolean ok = prefrl_trainer_run(t, NULL, FALSE, err);
    g_atomic_int_set(&rs->stop, 1);
    g_thread_join(th);
    prefrl_trainer_free(t);
    return ok;
}

/* labels.csv holds rounds 1..rounds of per_round pairs, as answered */
static void check_labels_csv(const char *dir, int rounds, int per_round)
{
    char *csv = test_slurp(dir, "labels.csv");
    char **lines = g_strsplit(csv, "\n", -1);
    ck_assert_str_eq(lines[0], "round,step,pair,label,true_return1,true_return2");
    int rows = 0;
    for (int l = 1; lines[l] && *lines[l]; l++, rows++) {
        char **f = g_strsplit(lines[l], ",", -1);
        int r = atoi(f[0]), i = atoi(f[2]), lab = atoi(f[3]);
        ck_assert_int_eq(r, 1 + rows / per_round);
        ck_assert_int_eq(i, rows % per_round);
        ck_assert_int_eq(lab, label_value(answer_for(r, i)));
        g_strfreev(f);
    }
    ck_assert_int_eq(rows, rounds * per_round);
    g_strfreev(lines);
    g_free(csv);
}

enum { ROUNDS = 3, PER_ROUND = 4 };

/* a bad answers.txt stops the run with its line; fixed, the resumed run
 * asks the same round (same queries: its directory is kept) and goes on */
START_TEST(test_run_bad_answers_resumed)
{
    char *dir = pbrl_test_run_dir("teacher-file-bad");
    PrefrlNode *root = run_recipe();
    GError *err = NULL;
    Responder rs = {.run_dir = dir, .first = 1, .rounds = ROUNDS, .per_round = PER_ROUND,
                    .bad_round = 2};
    ck_assert(!run_answered(root, dir, FALSE, &rs, &err));
    ck_assert_int_eq(err->code, PREFRL_ERROR_CONFIG);
    ck_assert_str_eq(err->message, "queries/round-0002/answers.txt:2: unknown label 'lft' "
                                   "(left, right, equal, skip)");
    g_clear_error(&err);

    char *rdir = g_build_filename(dir, "queries", "round-0002", NULL);
    char *text = answers_text(2, PER_ROUND);
    test_put(rdir, "answers.txt", text);
    g_free(text);
    Responder rs2 = {.run_dir = dir, .first = 3, .rounds = ROUNDS, .per_round = PER_ROUND};
    ck_assert_msg(run_answered(root, dir, TRUE, &rs2, &err), "%s", err ? err->message : "");
    ck_assert(!g_file_test(WORK "/../trainer-runs/teacher-file-bad/queries/round-0002.old-1",
                           G_FILE_TEST_EXISTS));
    check_labels_csv(dir, ROUNDS, PER_ROUND);
    prefrl_node_free(root);
    g_free(rdir);
    g_free(dir);
}
END_TEST

/* `prefrl run` itself: the program's run, with the clips its own video sink
 * encodes, answered through the file protocol */
START_TEST(test_prefrl_run_file_teacher)
{
    char *work = test_fresh_dir(WORK, "cli");
    char *recipe = g_build_filename(work, "tiny-file.yaml", NULL);
    test_put(work, "tiny-file.yaml",
             "seed: 1\n"
             "name: cli-file\n"
             "trainer: {num_train_steps: 620, num_seed_steps: 100, num_unsup_steps: 100,\n"
             "          eval_frequency: 600, num_eval_episodes: 1, max_feedback: 12,\n"
             "          reward_batch: 4, num_interact: 200, segment: 10, reset_update: 10}\n"
             "env: {task: cartpole_swingup, episode_length: 100}\n"
             "agent: {name: sac, hidden_dim: 16, batch_size: 16}\n"
             "reward: {name: pebble}\n"
             "sampler: {name: uniform}\n"
             "teacher: {name: file, width: 32, height: 32, poll_interval: 0.02, "
             "timeout: 120}\n");
    char *out_dir = g_strdup_printf("out_dir=%s", work);
    char *run_dir = g_build_filename(work, "cli-file", NULL);
    Responder rs = {.run_dir = run_dir, .first = 1, .rounds = ROUNDS, .per_round = PER_ROUND};
    GThread *th = g_thread_new("responder", responder, &rs);
    const char *argv[] = {TEST_BUILDDIR "/../prefrl", "run", recipe, out_dir, NULL};
    char *out = NULL, *err = NULL;
    int status;
    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
    g_atomic_int_set(&rs.stop, 1);
    g_thread_join(th);
    ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s", err);
    ck_assert_int_eq(rs.seen, ROUNDS * PER_ROUND * 2);
    ck_assert_msg(strstr(err, "teacher/file: round 2: 4 queries in queries/round-0002/ "
                              "(answers.txt)"), "%s", err);
    check_labels_csv(run_dir, ROUNDS, PER_ROUND);
    char *log = test_slurp(run_dir, "log.txt");
    ck_assert_msg(strstr(log, "teacher/file: round 1: 4 queries in queries/round-0001/ "
                              "(answers.txt)"), "%s", log);
    g_free(log);
    char *json = test_slurp(run_dir, "queries/round-0003/round.json");
    ck_assert_msg(strstr(json, "\"round\":3,\"step\":600,\"budget_left\":0,"), "%s", json);
    g_free(json);
    g_free(out);
    g_free(err);
    g_free(run_dir);
    g_free(out_dir);
    g_free(recipe);
    g_free(work);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("teacher_human");
    TCase *tc = tcase_create("file");
    tcase_add_test(tc, test_file_round);
    tcase_add_test(tc, test_file_bad_answers);
    tcase_add_test(tc, test_file_stale_round_moved);
    tcase_add_test(tc, test_file_stop_and_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("human");
    tcase_add_test(tc, test_human_bind);
    tcase_add_test(tc, test_human_http);
    tcase_add_test(tc, test_human_resume);
    suite_add_tcase(s, tc);
    tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_run_bad_answers_resumed);
    tcase_add_test(tc, test_prefrl_run_file_teacher);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int failed = check_run(suite());
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The `prefrl` program: recipes in, runs out.
 *
 *   prefrl plugins                       list components by kind
 *   prefrl describe KIND/NAME            a component's parameters
 *   prefrl check RECIPE [k=v ...]        validate; --print shows the resolved recipe
 *   prefrl run RECIPE [k=v ...]          create the run directory and train
 *   prefrl env TASK [...]                random-policy sanity check of a task
 *   prefrl bench WHAT [...]              benchmarks
 */
#include "config.h"
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#include "cli.h"
#include <prefrl/nn.h>
#include "host/recipe.h"
#include "host/registry.h"
#include "host/schema.h"
#include "pbrl/run_params.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *summary;
} Command;

int prefrl_cli_fail(const GError *error)
{
    fprintf(stderr, "prefrl: error: %s\n", error ? error->message : "unknown error");
    return 1;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "prefrl: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'prefrl --help'.\n");
    return 2;
}

/* ---- plugins / describe ------------------------------------------------- */

static void print_failures(PrefrlRegistry *reg)
{
    const GPtrArray *f = prefrl_registry_failures(reg);
    for (guint i = 0; i < f->len; i++)
        fprintf(stderr, "prefrl: warning: %s\n", (const char *)f->pdata[i]);
}

static int cmd_plugins(int argc, char **argv)
{
    gboolean verbose = argc > 1 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"));
    PrefrlRegistry *reg = prefrl_registry_default();
    print_failures(reg);
    for (int k = 1; k <= PREFRL_N_KINDS; k++) {
        GPtrArray *list = prefrl_registry_list(reg, k);
        printf("%s (%s: NAME):\n", prefrl_kind_name(k), prefrl_kind_selector(k));
        if (!list->len)
            printf("  (none installed)\n");
        for (guint i = 0; i < list->len; i++) {
            const PrefrlComponent *c = list->pdata[i];
            printf("  %-22s %s\n", c->name, c->summary);
            if (verbose)
                printf("  %-22s   from %s\n", "", prefrl_registry_component_path(reg, c));
        }
        g_ptr_array_unref(list);
    }
    if (verbose) {
        char **dirs = prefrl_registry_search_path();
        printf("search path:\n");
        for (char **d = dirs; *d; d++)
            printf("  %s\n", *d);
        g_strfreev(dirs);
    }
    return 0;
}

static void describe_params(const char *title, const PrefrlParamSpec *specs)
{
    printf("%s\n", title);
    if (!specs || !specs->key)
        printf("  (no parameters)\n");
    for (const PrefrlParamSpec *s = specs; s && s->key; s++) {
        GString *type = g_string_new(prefrl_param_type_name(s->type));
        if (s->type == PREFRL_PARAM_CHOICE)
            g_string_printf(type, "%s", s->choices);
        else if (s->min != s->max && s->max >= 1e15) /* effectively unbounded above */
            g_string_append_printf(type, " >= %g", s->min);
        else if (s->min != s->max)
            g_string_append_printf(type, " in [%g, %g]", s->min, s->max);
        printf("  %-24s %-30s default %s\n", s->key, type->str,
               s->dflt ? (*s->dflt ? s->dflt : "\"\"") : "(required)");
        printf("  %-24s %s\n", "", s->doc);
        g_string_free(type, TRUE);
    }
}

static int cmd_describe(int argc, char **argv)
{
    if (argc != 2)
        return usage_error("%s", "usage: prefrl describe KIND/NAME (e.g. reward/pebble), or "
                                 "'prefrl describe recipe' for the core keys");
    if (!strcmp(argv[1], "recipe") || !strcmp(argv[1], "trainer")) {
        describe_params("recipe top-level keys:", prefrl_run_params);
        describe_params("trainer: (the training loop)", prefrl_trainer_params);
        return 0;
    }
    char *slash = strchr(argv[1], '/');
    if (!slash)
        return usage_error("expected KIND/NAME, got '%s'", argv[1]);
    char *kind_name = g_strndup(argv[1], (gsize)(slash - argv[1]));
    PrefrlKind kind = prefrl_kind_from_name(kind_name);
    g_free(kind_name);
    if (!kind)
        return usage_error("unknown kind in '%s'; kinds: env, agent, reward, sampler, teacher",
                           argv[1]);
    PrefrlRegistry *reg = prefrl_registry_default();
    GError *err = NULL;
    const PrefrlComponent *c = prefrl_registry_find(reg, kind, slash + 1, &err);
    if (!c)
        return prefrl_cli_fail(err);
    printf("%s/%s — %s\n", prefrl_kind_name(kind), c->name, c->summary);
    printf("from %s\n", prefrl_registry_component_path(reg, c));
    if (c->flags & PREFRL_FLAG_CRITIC_VIEW)
        printf("exposes a critic view (usable with reward learners that need one, e.g. mrn)\n");
    if (c->flags & PREFRL_FLAG_NEEDS_CRITIC_VIEW)
        printf("needs an agent with a critic view (e.g. agent: {name: sac})\n");
    printf("\n");
    char *title = g_strdup_printf("parameters (recipe section '%s:', selected by %s: %s):",
                                  prefrl_kind_name(kind), prefrl_kind_selector(kind), c->name);
    describe_params(title, c->params);
    g_free(title);
    return 0;
}

/* ---- recipes ------------------------------------------------------------- */

/* RECIPE [k=v ...] → a resolved tree, or NULL with the error printed */
static PrefrlNode *load_resolved(const char *path, char **overrides, int n_overrides,
                                 guint required, GError **error)
{
    PrefrlNode *root = prefrl_recipe_load(path, error);
    if (!root)
        return NULL;
    for (int i = 0; i < n_overrides; i++) {
        if (!prefrl_recipe_override(root, overrides[i], error)) {
            prefrl_node_free(root);
            return NULL;
        }
    }
    PrefrlRegistry *reg = prefrl_registry_default();
    if (!prefrl_recipe_resolve(root, reg, &prefrl_run_keys, required, error)) {
        print_failures(reg);
        prefrl_node_free(root);
        return NULL;
    }
    return root;
}

/* the resolved recipe as saved: which plugins provided it, then the YAML */
static char *resolved_text(const PrefrlNode *root)
{
    return prefrl_rundir_config_text(root, prefrl_registry_default());
}


/* RECIPE [k=v ...] [FLAG]: the resolved recipe of a command's arguments, or
 * NULL with the exit status in *rc (usage or recipe error printed) */
static PrefrlNode *recipe_args(int argc, char **argv, const char *flag, gboolean *flag_set,
                               const char **recipe, int *rc)
{
    *recipe = NULL;
    *flag_set = FALSE;
    GPtrArray *ov = g_ptr_array_new();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], flag)) {
            *flag_set = TRUE;
        } else if (argv[i][0] == '-') {
            g_ptr_array_unref(ov);
            *rc = usage_error("unknown option '%s'", argv[i]);
            return NULL;
        } else if (!*recipe) {
            *recipe = argv[i];
        } else {
            g_ptr_array_add(ov, argv[i]);
        }
    }
    if (!*recipe) {
        g_ptr_array_unref(ov);
        fprintf(stderr, "usage: prefrl %s RECIPE [section.key=value ...] [%s]\n", argv[0], flag);
        *rc = 2;
        return NULL;
    }
    GError *err = NULL;
    PrefrlNode *root = load_resolved(*recipe, (char **)ov->pdata, (int)ov->len,
                                     prefrl_trainer_required_kinds(), &err);
    g_ptr_array_unref(ov);
    if (!root)
        *rc = prefrl_cli_fail(err);
    g_clear_error(&err);
    return root;
}

static int cmd_check(int argc, char **argv)
{
    gboolean print;
    const char *recipe;
    int rc = 0;
    PrefrlNode *root = recipe_args(argc, argv, "--print", &print, &recipe, &rc);
    if (!root)
        return rc;
    if (print) {
        char *text = resolved_text(root);
        fputs(text, stdout);
        g_free(text);
    } else {
        printf("%s: ok\n", recipe);
    }
    prefrl_node_free(root);
    return 0;
}

/* run directory: out_dir/name, or out_dir/<task>-<reward>-s<seed> */
static char *run_dir_of(const PrefrlNode *root)
{
    const char *name = prefrl_param_string(root, "name");
    const char *out = prefrl_param_string(root, "out_dir");
    if (name && *name)
        return g_build_filename(out, name, NULL);
    const char *task = prefrl_node_text(prefrl_node_get(prefrl_node_get(root, "env"), "task"));
    const char *reward =
        prefrl_node_text(prefrl_node_get(prefrl_node_get(root, "reward"), "name"));
    char *leaf = g_strdup_printf("%s-%s-s%" G_GINT64_FORMAT, task ? task : "run",
                                 reward ? reward : "none", prefrl_param_int(root, "seed"));
    char *dir = g_build_filename(out, leaf, NULL);
    g_free(leaf);
    return dir;
}

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int train_in(const PrefrlNode *root, const char *dir, gboolean resume, GError **err);

/* train in dir; Ctrl-C (SIGINT) or SIGTERM stop cleanly with outputs flushed.
 * The run's status (for sweeps): running, then done, interrupted or failed */
static int train(const PrefrlNode *root, const char *dir, gboolean resume, GError **err)
{
    prefrl_rundir_set_status(dir, PREFRL_STATUS_RUNNING, NULL);
    int rc = train_in(root, dir, resume, err);
    prefrl_rundir_set_status(dir, rc == 0     ? PREFRL_STATUS_DONE
                                  : rc == 130 ? PREFRL_STATUS_INTERRUPTED
                                              : PREFRL_STATUS_FAILED,
                             NULL);
    return rc;
}

static int train_in(const PrefrlNode *root, const char *dir, gboolean resume, GError **err)
{
    prefrl_nn_set_threads((int)prefrl_param_int(root, "threads"));
    PrefrlTrainer *t = resume ? prefrl_trainer_resume(root, prefrl_registry_default(), dir, err)
                              : prefrl_trainer_new(root, prefrl_registry_default(), dir, err);
    if (!t)
        return prefrl_cli_fail(*err);
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    gboolean ok = prefrl_trainer_run(t, &stop_requested, isatty(STDERR_FILENO), err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    double last = prefrl_trainer_last_eval(t);
    prefrl_trainer_free(t);
    if (!ok) {
        if (g_error_matches(*err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED)) {
            fprintf(stderr, "prefrl: %s; outputs so far are in %s (continue with: prefrl "
                            "resume %s)\n",
                    (*err)->message, dir, dir);
            return 130;
        }
        return prefrl_cli_fail(*err);
    }
    if (isnan(last))
        printf("done (no evaluation ran); results in %s\n", dir);
    else
        printf("done: last evaluation %.3f (mean true return); results in %s\n", last, dir);
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    gboolean force;
    const char *recipe;
    int rc = 0;
    PrefrlNode *root = recipe_args(argc, argv, "--force", &force, &recipe, &rc);
    if (!root)
        return rc;
    GError *err = NULL;
    char *dir = run_dir_of(root);
    if (g_file_test(dir, G_FILE_TEST_EXISTS)) {
        if (!force) {
            fprintf(stderr,
                    "prefrl: error: run directory %s already exists; choose another "
                    "name=..., or pass --force to replace it\n",
                    dir);
            rc = 1;
            goto out;
        }
        if (!prefrl_remove_tree(dir)) {
            fprintf(stderr, "prefrl: error: cannot remove %s: %s\n", dir, g_strerror(errno));
            rc = 1;
            goto out;
        }
    }
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        fprintf(stderr, "prefrl: error: cannot create %s: %s\n", dir, g_strerror(errno));
        rc = 1;
        goto out;
    }
    if (!prefrl_rundir_write_config(dir, root, prefrl_registry_default(), &err)) {
        rc = prefrl_cli_fail(err);
        goto out;
    }
    printf("run directory: %s\n", dir);
    fflush(stdout);
    rc = train(root, dir, FALSE, &err);
out:
    g_clear_error(&err);
    g_free(dir);
    prefrl_node_free(root);
    return rc;
}

/* prefrl resume RUN_DIR: continue from the run's checkpoint with its own
 * resolved recipe (config.yaml), appending to its outputs */
static int cmd_resume(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: prefrl resume RUN_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char *cfg = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
    GError *err = NULL;
    int rc;
    if (!prefrl_rundir_is_run(dir)) {
        fprintf(stderr, "prefrl: error: %s is not a run directory (no %s)\n", dir,
                prefrl_rundir_name(PREFRL_RUN_CONFIG));
        g_free(cfg);
        return 1;
    }
    if (prefrl_rundir_status(dir, NULL) == PREFRL_STATUS_DONE) {
        fprintf(stderr, "prefrl: error: %s finished already (status: done); nothing to resume\n",
                dir);
        g_free(cfg);
        return 1;
    }
    PrefrlNode *root = load_resolved(cfg, NULL, 0, prefrl_trainer_required_kinds(), &err);
    g_free(cfg);
    if (!root) {
        rc = prefrl_cli_fail(err);
        g_clear_error(&err);
        return rc;
    }
    printf("resuming run directory: %s\n", dir);
    fflush(stdout);
    rc = train(root, dir, TRUE, &err);
    g_clear_error(&err);
    prefrl_node_free(root);
    return rc;
}

/* prefrl evaluate RUN_DIR...: each run's saved agent over fresh deterministic
 * episodes of its own task, one CSV row per run (return, success, the Q
 * diagnostics) */
static int cmd_evaluate(int argc, char **argv)
{
    int episodes = 10;
    GPtrArray *dirs = g_ptr_array_new();
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--episodes") && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000) {
                rc = usage_error("--episodes takes a count from 1 to 100000, not '%s'", argv[i]);
                goto out;
            }
            episodes = (int)v;
        } else if (argv[i][0] == '-') {
            rc = usage_error("unknown option '%s'", argv[i]);
            goto out;
        } else {
            g_ptr_array_add(dirs, argv[i]);
        }
    }
    if (dirs->len == 0) {
        fprintf(stderr, "usage: prefrl evaluate RUN_DIR... [--episodes N]\n");
        rc = 2;
        goto out;
    }
    printf("run,episodes,return,success_rate,q_mse,q_nmse\n");
    for (guint i = 0; i < dirs->len; i++) {
        const char *dir = dirs->pdata[i];
        char *cfg = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
        char *agent =
            prefrl_rundir_checkpoint_file(dir, prefrl_kind_name(PREFRL_KIND_AGENT));
        GError *err = NULL;
        PrefrlNode *root = NULL;
        PrefrlTrainer *t = NULL;
        double ret, success, q_mse, q_nmse;
        if (!prefrl_rundir_is_run(dir))
            g_set_error(&err, PREFRL_ERROR, PREFRL_ERROR_IO, "%s is not a run directory (no %s)",
                        dir, prefrl_rundir_name(PREFRL_RUN_CONFIG));
        else if ((root = load_resolved(cfg, NULL, 0, prefrl_trainer_required_kinds(), &err)) &&
                 (t = prefrl_trainer_new(root, prefrl_registry_default(), NULL, &err)) &&
                 prefrl_trainer_load_agent(t, agent, &err) &&
                 prefrl_trainer_evaluate(t, episodes, &ret, &success, &q_mse, &q_nmse, &err))
            printf("%s,%d,%.9g,%.9g,%.9g,%.9g\n", dir, episodes, ret, success, q_mse, q_nmse);
        if (err) {
            fflush(stdout);
            rc = prefrl_cli_fail(err);
            g_error_free(err);
        }
        prefrl_trainer_free(t);
        prefrl_node_free(root);
        g_free(agent);
        g_free(cfg);
    }
out:
    g_ptr_array_unref(dirs);
    return rc;
}

/* ---- bench ---------------------------------------------------------------- */

/* one line per benchmark; helpers add theirs here */
static const Command bench_commands[] = {
    {"env", prefrl_cmd_bench_env, "bench env [TASK ...]", "env steps/s vs raw mj_step on the same model"},
    {"nn", prefrl_cmd_bench_nn, "bench nn [--threads 1,2]", "MLP forward/backward/JVP ms and GFLOP/s vs bare sgemm"},
    {"sac", prefrl_cmd_bench_sac, "bench sac [--preset P] [--threads N]", "SAC updates/s and GFLOP/s at the DMC and Meta-world sizes"},
    {"mrn", prefrl_cmd_bench_mrn, "bench mrn [--threads N]", "one MRN meta step beside one SAC update at the DMC preset"},
    {"trainer", prefrl_cmd_bench_trainer, "bench trainer [RECIPE] [k=v ...]", "env steps/s inside the trainer, with and without learning"},
    {NULL, NULL, NULL, NULL},
};

static int cmd_bench(int argc, char **argv)
{
    if (argc >= 2) {
        for (const Command *c = bench_commands; c->name; c++)
            if (!strcmp(c->name, argv[1]))
                return c->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "usage: prefrl bench WHAT [options]; WHAT is one of:\n");
    for (const Command *c = bench_commands; c->name; c++)
        fprintf(stderr, "  %-8s %s\n", c->name, c->summary);
    return 2;
}

/* ---- main ------------------------------------------------------------------ */

static const Command commands[] = {
    {"plugins", cmd_plugins, "plugins [-v]", "list the installed components by kind"},
    {"describe", cmd_describe, "describe KIND/NAME", "show a component's parameters"},
    {"check", cmd_check, "check RECIPE [k=v ...] [--print]",
     "validate a recipe; --print writes it out resolved"},
    {"run", cmd_run, "run RECIPE [k=v ...] [--force]", "start a run from a recipe"},
    {"resume", cmd_resume, "resume RUN_DIR", "continue an interrupted run from its checkpoint"},
    {"evaluate", cmd_evaluate, "evaluate RUN_DIR... [--episodes N]",
     "evaluate runs' saved agents again: return, success, Q diagnostics (CSV)"},
    {"env", prefrl_cmd_env, "env TASK [--episodes N] [--seed S] [k=v ...]", "random-policy sanity check of an env"},
    {"sweep", prefrl_cmd_sweep, "sweep GRID.yaml [-j N] [--dry-run]", "run every cell of a grid of recipes"},
    {"report", prefrl_cmd_report, "report DIR... [-o OUT] [--all]", "learning curves and tables from runs"},
    {"bench", cmd_bench, "bench WHAT [...]", "benchmarks (see 'prefrl bench')"},
    {NULL, NULL, NULL, NULL},
};

static void print_help(void)
{
    printf("prefrl %s — preference-based reinforcement learning\n\n", PACKAGE_VERSION);
    printf("usage: prefrl COMMAND [ARGS]\n\ncommands:\n");
    for (const Command *c = commands; c->name; c++)
        printf("  %-38s %s\n", c->usage, c->summary);
    printf("\noverrides: section.key=value, e.g. trainer.max_feedback=200 agent.batch_size=512 "
           "seed=3\nplugin search path: $PREFRL_PLUGIN_PATH, then the install dir\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        print_help();
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("prefrl %s (plugin ABI %u)\n", PACKAGE_VERSION, PREFRL_ABI_VERSION);
        return 0;
    }
    for (const Command *c = commands; c->name; c++)
        if (!strcmp(c->name, argv[1]))
            return c->run(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", argv[1]);
}

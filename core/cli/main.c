/* The `prefrl` program: recipes in, runs out.  main() picks the command;
 * this file holds the commands about components, recipes and runs
 * (plugins, describe, check, run, resume, evaluate); the others live in a
 * file each (cmd_env.c, cmd_sweep.c, cmd_report.c, bench*.c).  Every
 * command parses its arguments with prefrl_cli_parse (cli.c) and answers
 * --help. */
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
#include "lab/video.h"
#include "pbrl/run_params.h"
#include "pbrl/rundir.h"
#include "pbrl/trainer.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
    const char *summary;
} Command;

/* ---- plugins / describe ------------------------------------------------- */

static const PrefrlCliUsage plugins_usage = {
    "plugins", NULL, "List the installed components by kind, with their one-line summaries.",
    "Components come from the plugin files found on the search path: each directory of\n"
    "$PREFRL_PLUGIN_PATH (':'-separated), then the install directory.  Files that fail to\n"
    "load are reported as warnings."};

static int cmd_plugins(int argc, char **argv)
{
    gboolean verbose = FALSE;
    const GOptionEntry entries[] = {
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
         "also show each component's file and the search path", NULL},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&plugins_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (args[0]) {
        rc = prefrl_cli_usage_error(&plugins_usage, "unexpected argument '%s'", args[0]);
        g_strfreev(args);
        return rc;
    }
    g_strfreev(args);
    PrefrlRegistry *reg = prefrl_registry_default();
    prefrl_cli_print_failures();
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

static const PrefrlCliUsage describe_usage = {
    "describe", "KIND/NAME",
    "Show every parameter of a component: type, range or choices, default, doc line.",
    "KIND is env, agent, reward, sampler or teacher (e.g. reward/pebble, env/walker_walk).\n"
    "'prefrl describe recipe' shows the core keys: the top level and the trainer: section."};

static int describe(const char *what);

static int cmd_describe(int argc, char **argv)
{
    char **args;
    int rc = prefrl_cli_parse(&describe_usage, NULL, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (!args[0] || args[1])
        rc = prefrl_cli_usage_error(&describe_usage, "describe takes one KIND/NAME");
    else
        rc = describe(args[0]);
    g_strfreev(args);
    return rc;
}

static int describe(const char *what)
{
    if (!strcmp(what, "recipe") || !strcmp(what, "trainer")) {
        describe_params("recipe top-level keys:", prefrl_run_params);
        describe_params("trainer: (the training loop)", prefrl_trainer_params);
        return 0;
    }
    const char *slash = strchr(what, '/');
    if (!slash)
        return prefrl_cli_usage_error(&describe_usage, "expected KIND/NAME, got '%s'", what);
    char *kind_name = g_strndup(what, (gsize)(slash - what));
    PrefrlKind kind = prefrl_kind_from_name(kind_name);
    g_free(kind_name);
    if (!kind)
        return prefrl_cli_usage_error(
            &describe_usage, "unknown kind in '%s'; kinds: env, agent, reward, sampler, teacher",
            what);
    PrefrlRegistry *reg = prefrl_registry_default();
    GError *err = NULL;
    const PrefrlComponent *c = prefrl_registry_find(reg, kind, slash + 1, &err);
    if (!c) {
        int rc = prefrl_cli_fail(err);
        g_error_free(err);
        return rc;
    }
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

/* the resolved recipe as saved: which plugins provided it, then the YAML */
static char *resolved_text(const PrefrlNode *root)
{
    return prefrl_rundir_config_text(root, prefrl_registry_default());
}


/* RECIPE [k=v ...]: the resolved recipe of a command's positional
 * arguments, or NULL with the exit status in *rc (usage or recipe error
 * printed) */
static PrefrlNode *recipe_args(const PrefrlCliUsage *usage, char **args, int *rc)
{
    if (!args[0]) {
        *rc = prefrl_cli_usage_error(usage, "%s needs a RECIPE", usage->name);
        return NULL;
    }
    GError *err = NULL;
    PrefrlNode *root = prefrl_cli_load_recipe(args[0], (const char *const *)args + 1,
                                              prefrl_trainer_required_kinds(), &err);
    if (!root)
        *rc = prefrl_cli_fail(err);
    g_clear_error(&err);
    return root;
}

#define OVERRIDES_HELP                                                                        \
    "Overrides section.key=value replace a recipe's values, in order, before it is checked:\n" \
    "e.g. trainer.max_feedback=200 agent.batch_size=512 seed=3 (values may be negative:\n"    \
    "agent.log_std_min=-5).  An argument that starts with '-' is an option; put \"--\" before\n" \
    "a RECIPE whose name does."

static const PrefrlCliUsage check_usage = {
    "check", "RECIPE [section.key=value ...]",
    "Validate a recipe with its overrides against the installed components.",
    OVERRIDES_HELP "\nPrints 'RECIPE: ok', or with --print the resolved recipe (every default\n"
                   "written out, as `prefrl run` saves it in config.yaml).  A trainer.seed_prefs\n"
                   "file (relative to the current directory) is read and checked as the run\n"
                   "reads it: the same one-line error when it is missing or malformed."};

/* trainer.seed_prefs is read as the run reads it: the trainer is set up
 * (without a run directory), which checks the file whole against the
 * segment and the environment's sizes; FALSE once the error is said.
 * Only with the key set: setting a trainer up creates every component. */
static gboolean check_seed_prefs(const PrefrlNode *root)
{
    const PrefrlNode *trainer = prefrl_node_get(root, "trainer");
    const PrefrlNode *key = trainer ? prefrl_node_get(trainer, "seed_prefs") : NULL;
    const char *seed = key ? prefrl_node_text(key) : NULL;
    if (!seed || !*seed)
        return TRUE;
    GError *err = NULL;
    PrefrlTrainer *t = prefrl_trainer_new(root, prefrl_registry_default(), NULL, &err);
    if (!t) {
        prefrl_cli_fail(err);
        g_error_free(err);
        return FALSE;
    }
    prefrl_trainer_free(t);
    return TRUE;
}

static int cmd_check(int argc, char **argv)
{
    gboolean print = FALSE;
    const GOptionEntry entries[] = {
        {"print", 0, 0, G_OPTION_ARG_NONE, &print, "write out the resolved recipe", NULL},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&check_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    PrefrlNode *root = recipe_args(&check_usage, args, &rc);
    if (!root) {
        g_strfreev(args);
        return rc;
    }
    if (!check_seed_prefs(root)) {
        prefrl_node_free(root);
        g_strfreev(args);
        return 1;
    }
    if (print) {
        char *text = resolved_text(root);
        fputs(text, stdout);
        g_free(text);
    } else {
        printf("%s: ok\n", args[0]);
    }
    prefrl_node_free(root);
    g_strfreev(args);
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

/* the end of a run in its status (for sweeps): done, interrupted, or failed
 * with the reason on a second line; a status that cannot be written is said
 * on stderr (it is a sweep's only view of the run) and fails a done run */
static int finish_status(const char *dir, int rc, const GError *err)
{
    GError *status_err = NULL;
    gboolean ok = rc == 0     ? prefrl_rundir_set_status(dir, PREFRL_STATUS_DONE, &status_err)
                  : rc == 130 ? prefrl_rundir_set_status(dir, PREFRL_STATUS_INTERRUPTED,
                                                         &status_err)
                              : prefrl_rundir_set_failed(dir, err ? err->message : "unknown error",
                                                         &status_err);
    if (!ok) {
        fprintf(stderr, "prefrl: %s\n", status_err->message);
        g_clear_error(&status_err);
        if (rc == 0)
            rc = 1;
    }
    return rc;
}

/* train in dir (the caller holds its lock); Ctrl-C (SIGINT) or SIGTERM stop
 * cleanly with outputs flushed.  The run's status (for sweeps): running once
 * the trainer is set up, then done, interrupted or failed.  A resume that is
 * refused (its checkpoint or outputs do not restore) leaves the status as it
 * was, so the run stays resumable once the cause is fixed. */
static int train(const PrefrlNode *root, const char *dir, gboolean resume, GError **err)
{
    PrefrlTrainer *t = resume ? prefrl_trainer_resume(root, prefrl_registry_default(), dir, err)
                              : prefrl_trainer_new(root, prefrl_registry_default(), dir, err);
    if (!t) {
        if (!resume)
            finish_status(dir, 1, *err);
        return prefrl_cli_fail(*err);
    }
    /* query clips for teachers that show them, evaluation videos */
    prefrl_trainer_set_video_sink(t, prefrl_video_sink());
    if (!prefrl_rundir_set_status(dir, PREFRL_STATUS_RUNNING, err)) {
        prefrl_trainer_free(t);
        return prefrl_cli_fail(*err);
    }
    struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    /* a file-size limit (ulimit -f) fails the write (EFBIG) that the trainer
     * reports, naming the file, instead of killing the run mid-row */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_xfsz;
    sigemptyset(&ign.sa_mask);
    sigaction(SIGXFSZ, &ign, &old_xfsz);
    /* a batch job's stderr is a file: periodic lines instead of a rewritten one */
    PrefrlProgress shown = isatty(STDERR_FILENO) ? PREFRL_PROGRESS_TERMINAL : PREFRL_PROGRESS_LINES;
    gboolean ok = prefrl_trainer_run(t, &stop_requested, shown, err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGXFSZ, &old_xfsz, NULL);
    double last = prefrl_trainer_last_eval(t);
    prefrl_trainer_free(t);
    /* the status first: a message to a closed stderr (a sweep that died) may
     * end the process */
    gboolean stopped = !ok && g_error_matches(*err, PREFRL_ERROR, PREFRL_ERROR_INTERRUPTED);
    int rc = finish_status(dir, ok ? 0 : stopped ? 130 : 1, ok ? NULL : *err);
    if (stopped)
        fprintf(stderr, "prefrl: %s; outputs so far are in %s (continue with: prefrl "
                        "resume %s)\n",
                (*err)->message, dir, dir);
    else if (!ok)
        rc = prefrl_cli_fail(*err);
    if (rc == 0 && isnan(last))
        printf("done (no evaluation ran); results in %s\n", dir);
    else if (rc == 0)
        printf("done: last evaluation %.3f (mean true return); results in %s\n", last, dir);
    return rc;
}

/* the run directory of a new run, created (or with `force` emptied) and
 * locked: the lock's descriptor, or -1 with the reason printed.  --force
 * empties only a directory prefrl created as a run (it carries the marker),
 * and only once this process holds its lock. */
static int make_run_dir(const char *dir, gboolean force)
{
    GError *err = NULL;
    int lock = -1;
    if (g_file_test(dir, G_FILE_TEST_EXISTS) || g_file_test(dir, G_FILE_TEST_IS_SYMLINK)) {
        if (!force) {
            fprintf(stderr,
                    "prefrl: error: run directory %s already exists; choose another "
                    "name=..., or pass --force to replace it\n",
                    dir);
            return -1;
        }
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR) || g_file_test(dir, G_FILE_TEST_IS_SYMLINK) ||
            !prefrl_rundir_is_marked(dir)) {
            fprintf(stderr,
                    "prefrl: error: %s was not created by prefrl as a run directory (no %s "
                    "marker); --force replaces only runs: choose another name=..., or remove "
                    "it yourself\n",
                    dir, prefrl_rundir_name(PREFRL_RUN_MARKER));
            return -1;
        }
        if ((lock = prefrl_rundir_lock(dir, &err)) < 0 || !prefrl_rundir_clear(dir, &err))
            goto fail;
    } else {
        /* the run directory itself with mkdir, which fails if it exists: of
         * two runs started at once under one name, one gets it */
        char *parent = g_path_get_dirname(dir);
        int made = g_mkdir_with_parents(parent, 0755);
        g_free(parent);
        if (made != 0 || g_mkdir(dir, 0755) != 0) {
            if (errno == EEXIST)
                fprintf(stderr, "prefrl: error: run directory %s already exists; choose another "
                                "name=...\n",
                        dir);
            else
                fprintf(stderr, "prefrl: error: cannot create %s: %s\n", dir, g_strerror(errno));
            return -1;
        }
        if ((lock = prefrl_rundir_lock(dir, &err)) < 0)
            goto fail;
    }
    if (!prefrl_rundir_mark(dir, &err))
        goto fail;
    return lock;
fail:
    prefrl_cli_fail(err);
    g_error_free(err);
    if (lock >= 0)
        close(lock);
    return -1;
}

static const PrefrlCliUsage run_usage = {
    "run", "RECIPE [section.key=value ...]",
    "Start a run: create its run directory with the resolved recipe (config.yaml) and train.",
    OVERRIDES_HELP "\nThe run directory is out_dir/name, or out_dir/<task>-<reward>-s<seed> when\n"
                   "the recipe sets no name.  Ctrl-C stops cleanly with the outputs flushed;\n"
                   "continue with 'prefrl resume RUN_DIR'."};

static int cmd_run(int argc, char **argv)
{
    gboolean force = FALSE;
    const GOptionEntry entries[] = {
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "replace an existing run directory that prefrl created (not one in use)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    char **args;
    int rc = prefrl_cli_parse(&run_usage, entries, argc, argv, &args);
    if (rc >= 0)
        return rc;
    PrefrlNode *root = recipe_args(&run_usage, args, &rc);
    g_strfreev(args);
    if (!root)
        return rc;
    GError *err = NULL;
    char *dir = run_dir_of(root);
    int lock = make_run_dir(dir, force);
    if (lock < 0) {
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
    if (lock >= 0)
        close(lock); /* the lock is released after the final status */
    g_clear_error(&err);
    g_free(dir);
    prefrl_node_free(root);
    return rc;
}

/* prefrl resume RUN_DIR: continue from the run's checkpoint with its own
 * resolved recipe (config.yaml), appending to its outputs */
static const PrefrlCliUsage resume_usage = {
    "resume", "RUN_DIR",
    "Continue an interrupted (or killed) run from its latest checkpoint.",
    "The run's own resolved recipe (RUN_DIR/config.yaml) is used and its outputs are\n"
    "appended to; a run whose status is 'done', a run another process is writing, and\n"
    "outputs cut or changed since the checkpoint are refused (the status is kept)."};

static int resume(const char *dir);

static int cmd_resume(int argc, char **argv)
{
    char **args;
    int rc = prefrl_cli_parse(&resume_usage, NULL, argc, argv, &args);
    if (rc >= 0)
        return rc;
    if (!args[0] || args[1])
        rc = prefrl_cli_usage_error(&resume_usage, "resume takes one RUN_DIR");
    else
        rc = resume(args[0]);
    g_strfreev(args);
    return rc;
}

static int resume(const char *dir)
{
    GError *err = NULL;
    int rc;
    if (!prefrl_rundir_is_run(dir)) {
        fprintf(stderr, "prefrl: error: %s is not a run directory (no %s)\n", dir,
                prefrl_rundir_name(PREFRL_RUN_CONFIG));
        return 1;
    }
    /* one writer: a run still running (or being resumed) is refused */
    int lock = prefrl_rundir_lock(dir, &err);
    if (lock < 0) {
        rc = prefrl_cli_fail(err);
        g_clear_error(&err);
        return rc;
    }
    if (prefrl_rundir_status(dir, NULL) == PREFRL_STATUS_DONE) {
        fprintf(stderr, "prefrl: error: %s finished already (status: done); nothing to resume\n",
                dir);
        close(lock);
        return 1;
    }
    char *cfg = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
    PrefrlNode *root = prefrl_cli_load_recipe(cfg, NULL, prefrl_trainer_required_kinds(), &err);
    g_free(cfg);
    if (!root) {
        rc = prefrl_cli_fail(err);
        g_clear_error(&err);
        close(lock);
        return rc;
    }
    printf("resuming run directory: %s\n", dir);
    fflush(stdout);
    rc = train(root, dir, TRUE, &err);
    g_clear_error(&err);
    prefrl_node_free(root);
    close(lock);
    return rc;
}

/* prefrl evaluate RUN_DIR...: each run's saved agent over fresh deterministic
 * episodes of its own task, one CSV row per run (return, success, the Q
 * diagnostics) */
static const PrefrlCliUsage evaluate_usage = {
    "evaluate", "RUN_DIR...",
    "Evaluate runs' saved agents again: one CSV row per run (return, success, Q diagnostics).",
    "Loads each run's resolved recipe and saved agent (checkpoint/agent.bin) and runs N fresh\n"
    "deterministic episodes of its task; columns: run, episodes, return, success_rate,\n"
    "q_mse, q_nmse (Q against the return truncated at the time limit), q_mse_true,\n"
    "q_nmse_true (against the true value: the episode followed past its time limit)."};

static int cmd_evaluate(int argc, char **argv)
{
    int episodes = 10;
    const GOptionEntry entries[] = {
        {"episodes", 0, 0, G_OPTION_ARG_INT, &episodes,
         "episodes per run, 1 to 100000 (default 10)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    char **dirs;
    int rc = prefrl_cli_parse(&evaluate_usage, entries, argc, argv, &dirs);
    if (rc >= 0)
        return rc;
    rc = 0;
    if (episodes < 1 || episodes > 100000) {
        rc = prefrl_cli_usage_error(&evaluate_usage,
                                    "--episodes takes a count from 1 to 100000, not %d", episodes);
        goto out;
    }
    if (!dirs[0]) {
        rc = prefrl_cli_usage_error(&evaluate_usage, "evaluate needs at least one RUN_DIR");
        goto out;
    }
    printf("run,episodes,return,success_rate,q_mse,q_nmse,q_mse_true,q_nmse_true\n");
    for (char **d = dirs; *d; d++) {
        const char *dir = *d;
        char *cfg = prefrl_rundir_path(dir, PREFRL_RUN_CONFIG);
        char *agent =
            prefrl_rundir_checkpoint_file(dir, prefrl_kind_name(PREFRL_KIND_AGENT));
        GError *err = NULL;
        PrefrlNode *root = NULL;
        PrefrlTrainer *t = NULL;
        PrefrlEvalResult e;
        if (!prefrl_rundir_is_run(dir))
            g_set_error(&err, PREFRL_ERROR, PREFRL_ERROR_IO, "%s is not a run directory (no %s)",
                        dir, prefrl_rundir_name(PREFRL_RUN_CONFIG));
        else if ((root = prefrl_cli_load_recipe(cfg, NULL, prefrl_trainer_required_kinds(),
                                                &err)) &&
                 (t = prefrl_trainer_new(root, prefrl_registry_default(), NULL, &err)) &&
                 prefrl_trainer_load_agent(t, agent, &err) &&
                 prefrl_trainer_evaluate_all(t, episodes, &e, &err))
            printf("%s,%d,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g\n", dir, episodes, e.mean_return,
                   e.success_rate, e.q_mse, e.q_nmse, e.q_mse_true, e.q_nmse_true);
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
    g_strfreev(dirs);
    return rc;
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
    {"env", prefrl_cmd_env, "env TASK [--episodes N] [--seed S] [k=v ...]",
     "random-policy sanity check of an env"},
    {"render", prefrl_cmd_render, "render RUN_DIR [--episodes N] [--camera C] [-o FILE]",
     "write evaluation episodes of a run's saved agent as a video"},
    {"sweep", prefrl_cmd_sweep, "sweep GRID.yaml [k=v ...] [-j N] [--dry-run] [--dir DIR]",
     "run every cell of a grid of recipes"},
    {"report", prefrl_cmd_report, "report DIR... [-o OUT] [--all]",
     "learning curves and tables from runs"},
    {"bench", prefrl_cmd_bench, "bench WHAT [...]", "benchmarks (see 'prefrl bench --help')"},
    {NULL, NULL, NULL, NULL},
};

static void print_help(FILE *out)
{
    fprintf(out, "prefrl %s — preference-based reinforcement learning\n\n", PACKAGE_VERSION);
    fprintf(out, "usage: prefrl COMMAND [ARGS]\n\ncommands:\n");
    for (const Command *c = commands; c->name; c++)
        fprintf(out, "  %-46s %s\n", c->usage, c->summary);
    fprintf(out, "\n'prefrl COMMAND --help' (or 'prefrl help COMMAND') shows a command's options.\n"
                 "overrides: section.key=value, e.g. trainer.max_feedback=200 agent.batch_size=512 "
                 "seed=3\nplugin search path: $PREFRL_PLUGIN_PATH, then the install dir\n");
}

static const Command *find_command(const char *name)
{
    for (const Command *c = commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        (!strcmp(argv[1], "help") && argc == 2)) {
        print_help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("prefrl %s (plugin ABI %u)\n", PACKAGE_VERSION, PREFRL_ABI_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "help")) {
        /* prefrl help COMMAND [TARGET]: the same as prefrl COMMAND [TARGET] --help */
        const Command *c = find_command(argv[2]);
        if (!c) {
            fprintf(stderr, "prefrl: error: unknown command '%s' (see 'prefrl --help')\n",
                    argv[2]);
            return 2;
        }
        char *help_argv[] = {argv[2], argc > 3 ? argv[3] : "--help", "--help", NULL};
        return c->run(argc > 3 ? 3 : 2, help_argv);
    }
    const Command *c = find_command(argv[1]);
    if (c)
        return c->run(argc - 1, argv + 1);
    fprintf(stderr, "prefrl: error: unknown %s '%s' (see 'prefrl --help')\n",
            argv[1][0] == '-' ? "option" : "command", argv[1]);
    return 2;
}

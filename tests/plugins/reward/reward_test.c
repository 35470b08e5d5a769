/* Shared reward-learner test helpers; see reward_test.h. */
#include <check.h>
#include <glib/gstdio.h>

#include "reward_test.h"

PrefrlInstance *reward_test_new(const char *name, int ds, int da, uint64_t seed,
                                const char *const *base, const char *const *extra,
                                GError **error)
{
    const char *ov[64];
    int n = 0;
    const char *const *lists[] = {base, extra};
    for (int l = 0; l < 2; l++)
        for (const char *const *o = lists[l]; o && *o; o++) {
            ck_assert_int_lt(n, 63);
            ov[n++] = *o;
        }
    ov[n] = NULL;
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = ds, .act_dim = da,
                         .episode_length = 100};
    return prefrl_instance_new(prefrl_registry_default(), PREFRL_KIND_REWARD, name, ov, seed,
                               &env, error);
}

PrefrlInstance *reward_test_new_ok(const char *name, int ds, int da, uint64_t seed,
                                   const char *const *base, const char *const *extra)
{
    GError *err = NULL;
    PrefrlInstance *inst = reward_test_new(name, ds, da, seed, base, extra, &err);
    ck_assert_msg(inst != NULL, "cannot create reward/%s: %s", name, err ? err->message : "?");
    return inst;
}

PrefrlRewardModel *reward_test_twin(const PrefrlInstance *inst, int ds, int da, uint64_t seed,
                                    int H)
{
    PrefrlEnvInfo env = {.struct_size = sizeof env, .obs_dim = ds, .act_dim = da,
                         .episode_length = 100};
    PrefrlContext ctx = {.struct_size = sizeof ctx, .seed = seed, .env = &env};
    prefrl_rng_init(&ctx.rng, seed, "reward");
    GError *err = NULL;
    PrefrlRewardModel *m = prefrl_reward_model_new(inst->params, &ctx, H, &err);
    ck_assert_msg(m != NULL, "%s", err ? err->message : "");
    return m;
}

void reward_test_saved_model(const PrefrlInstance *inst, PrefrlRewardModel *into)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("prefrl-reward-XXXXXX", &err);
    ck_assert_msg(dir != NULL, "%s", err ? err->message : "");
    char *path = g_build_filename(dir, "reward.bin", NULL);
    PrefrlCkpt *out = prefrl_ckpt_open_write(path, &err);
    ck_assert_msg(out != NULL, "%s", err ? err->message : "");
    ck_assert_msg(inst->component->save(inst->self, out, &err) && prefrl_ckpt_close(out, &err),
                  "%s", err ? err->message : "");
    PrefrlCkpt *in = prefrl_ckpt_open_read(path, &err);
    ck_assert_msg(in != NULL, "%s", err ? err->message : "");
    prefrl_reward_model_load(into, in);
    ck_assert_msg(prefrl_ckpt_check(in, &err), "%s", err ? err->message : "");
    prefrl_ckpt_abort(in); /* the component's own state follows, unread */
    g_remove(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* The small env/dmc problem the media tests share (the trainer's clips and
 * videos in check_clips, the prefrl program's in check_cli_media):
 * cartpole_swingup with 50-step episodes, 400 steps, 8 scripted labels in
 * rounds of 4, a one-layer SAC and PEBBLE.  Header-only. */
#ifndef PREFRL_DMC_TEST_H
#define PREFRL_DMC_TEST_H

/** The recipe's YAML text (seed 5). */
static const char dmc_test_recipe[] = "seed: 5\n"
                                      "trainer:\n"
                                      "  num_train_steps: 400\n"
                                      "  num_seed_steps: 100\n"
                                      "  num_unsup_steps: 50\n"
                                      "  eval_frequency: 200\n"
                                      "  num_eval_episodes: 1\n"
                                      "  max_feedback: 8\n"
                                      "  reward_batch: 4\n"
                                      "  num_interact: 100\n"
                                      "  segment: 10\n"
                                      "  reset_update: 5\n"
                                      "env:\n"
                                      "  task: cartpole_swingup\n"
                                      "  episode_length: 50\n"
                                      "agent:\n"
                                      "  name: sac\n"
                                      "  hidden_dim: 16\n"
                                      "  hidden_depth: 1\n"
                                      "  batch_size: 16\n"
                                      "reward:\n"
                                      "  name: pebble\n"
                                      "  ensemble_size: 1\n"
                                      "  hidden_dim: 16\n"
                                      "  hidden_depth: 1\n"
                                      "  train_batch: 4\n"
                                      "sampler:\n"
                                      "  name: uniform\n"
                                      "teacher:\n"
                                      "  name: scripted\n";

#endif

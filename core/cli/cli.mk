# The prefrl program: one file per command, the benchmarks.  The top layer:
# it links the lab tools, the core (statically, for its internals: see
# Makefile.am) and the MuJoCo helpers (`prefrl bench env` compares the env
# plugins with raw mj_step loops).  Built as core/cli/prefrl and installed as
# $(bindir)/prefrl; in the build tree, run it as ./prefrl (the wrapper that
# points it at the build tree's plugins, models and recipes).  The
# benchmarks build their components from the recipes in configs/bench/.
bin_PROGRAMS += core/cli/prefrl
core_cli_prefrl_SOURCES = \
	core/cli/main.c core/cli/cli.c core/cli/cli.h \
	core/cli/cmd_env.c core/cli/cmd_render.c \
	core/cli/cmd_sweep.c core/cli/cmd_report.c core/cli/cmd_bench.c \
	core/cli/bench.c core/cli/bench.h \
	core/cli/bench_nn.c core/cli/bench_agent.c core/cli/bench_meta.c core/cli/bench_trainer.c
core_cli_prefrl_CFLAGS = $(AM_CFLAGS) $(MUJOCO_CFLAGS)
core_cli_prefrl_LDADD = core/lab/libprefrl-lab.la core/libprefrl-core.la libprefrl-mujoco.la \
	$(CAIRO_LIBS) $(FFMPEG_LIBS) $(GLIB_LIBS) $(YAML_LIBS) $(OPENBLAS_LIBS) $(MUJOCO_LIBS) -lm

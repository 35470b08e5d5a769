# Sourced, not run, with top_srcdir and top_builddir set to absolute paths:
# exports the environment under which the build tree's prefrl and the tests
# find what an installed prefrl finds under its prefix.  The plugins are the
# build tree's, the bundled models and the recipes the source tree's.  A
# value already in the environment is searched first.
prefrl_models=
for prefrl_dir in "$top_srcdir"/plugins/*/*/models; do
    [ -d "$prefrl_dir" ] && prefrl_models="$prefrl_models${prefrl_models:+:}$prefrl_dir"
done
PREFRL_PLUGIN_PATH="${PREFRL_PLUGIN_PATH:+$PREFRL_PLUGIN_PATH:}$top_builddir/plugins"
PREFRL_MODEL_PATH="${PREFRL_MODEL_PATH:+$PREFRL_MODEL_PATH:}$prefrl_models"
PREFRL_CONFIG_DIR="${PREFRL_CONFIG_DIR:-$top_srcdir/configs}"
export PREFRL_PLUGIN_PATH PREFRL_MODEL_PATH PREFRL_CONFIG_DIR
unset prefrl_models prefrl_dir

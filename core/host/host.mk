# The plugin host: errors, random streams, recipes (parse), schemas
# (validate), the plugin registry (load, resolve recipes, create components)
# and the checksummed checkpoint stream.  The bottom layer of libprefrl: it
# includes only include/prefrl/.
pkginclude_HEADERS += \
	include/prefrl/prefrl.h \
	include/prefrl/error.h \
	include/prefrl/export.h \
	include/prefrl/ckpt.h \
	include/prefrl/rng.h \
	include/prefrl/recipe.h \
	include/prefrl/schema.h \
	include/prefrl/plugin.h \
	include/prefrl/component.h
libprefrl_la_SOURCES += \
	core/host/error.c \
	core/host/rng.c \
	core/host/plugin.c \
	core/host/recipe.c core/host/recipe.h \
	core/host/schema.c core/host/schema.h \
	core/host/registry.c core/host/registry.h \
	core/host/resolve.c \
	core/host/instance.c \
	core/host/checkpoint.c core/host/checkpoint.h

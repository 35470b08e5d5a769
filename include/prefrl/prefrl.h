/* prefrl: the public API in one include. */
#ifndef PREFRL_PREFRL_H
#define PREFRL_PREFRL_H

#include <prefrl/ckpt.h>
#include <prefrl/error.h>
#include <prefrl/log.h>
#include <prefrl/plugin.h>
#include <prefrl/component.h>
#include <prefrl/recipe.h>
#include <prefrl/rng.h>
#include <prefrl/schema.h>
#include <prefrl/nn.h>
#include <prefrl/pbrl.h>

#endif

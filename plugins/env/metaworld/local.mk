# Meta-world v2 manipulation tasks (issue 7): prefrl-env-metaworld.so and its MJCF models.

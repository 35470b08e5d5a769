# SAC agent (issue 5): prefrl-agent-sac.so

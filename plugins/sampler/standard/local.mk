# Query samplers (issue 5): prefrl-sampler-standard.so with uniform, disagreement, entropy, kcenter, kcenter_disagreement, kcenter_entropy

# Neural-network core (issue 3): sources, tests and benchmark of include/prefrl/nn.h.
pkginclude_HEADERS += include/prefrl/nn.h

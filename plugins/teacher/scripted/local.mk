# The B-Pref scripted teacher (issue 5): prefrl-teacher-scripted.so

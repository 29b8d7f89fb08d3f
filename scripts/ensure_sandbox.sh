#!/usr/bin/env bash
# Make sure bubblewrap (the scoring sandbox) and libseccomp (its system-call filter, loaded by
# pyseccomp) are installed; install them with apt-get when we are root.
exec bash "$(dirname "$0")/ensure_packages.sh" bubblewrap:bwrap libseccomp2

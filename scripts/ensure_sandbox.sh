#!/usr/bin/env bash
# Make sure bubblewrap (the scoring sandbox) is installed; install it with apt-get when we are root.
exec bash "$(dirname "$0")/ensure_packages.sh" bubblewrap:bwrap

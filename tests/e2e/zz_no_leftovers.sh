#!/bin/bash
# e2e (runs last): no gofer, sentry or stub process of this suite's runs is still alive.
. "$(dirname "$0")/lib/common.sh"
# Processes started before the suite belong to someone else's runs.
left=$(leftovers_since "${CVISOR_SUITE_START_TICKS:-0}")
[ -z "$left" ] || fail "cvisor processes left behind: $left"

#!/bin/bash
# h2load with run_load's calling convention (bench/run.sh): "-d SECONDS ARGS..." -> -D SECONDS.
d=$2
shift 2
exec h2load -D "$d" "$@"

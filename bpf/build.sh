#!/bin/sh
# Builds the local-capture eBPF object and its libbpf skeleton (build host,
# no privilege): vmlinux.h from the running kernel's BTF, clang -target bpf,
# bpftool gen skeleton.  Usage: bpf/build.sh OUTDIR   (e.g. build/bpf)
set -eu
out=${1:?usage: bpf/build.sh OUTDIR}
src=$(dirname "$0")
arch=$(uname -m)
case $arch in
x86_64) barch=x86 ;;
aarch64) barch=arm64 ;;
*) barch=$arch ;;
esac
mkdir -p "$out"
if [ ! -s "$out/vmlinux.h" ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$out/vmlinux.h.tmp"
	mv "$out/vmlinux.h.tmp" "$out/vmlinux.h"
fi
clang -O2 -g -target bpf -D__TARGET_ARCH_$barch -Wall -Werror -I"$out" -I"$src" \
	-c "$src/redirect.bpf.c" -o "$out/redirect.bpf.o"
bpftool gen skeleton "$out/redirect.bpf.o" name redirect >"$out/redirect.skel.h.tmp"
mv "$out/redirect.skel.h.tmp" "$out/redirect.skel.h"

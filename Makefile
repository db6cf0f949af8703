# snare — top-level build.
#   make            optimized build into build/
#   make check      ASan+UBSan build into build/check/, then unit, integration and fuzz-corpus tests
#   make run        regular mode on 127.0.0.1:8080 with the default conf dir ~/.snare
#   make fuzz       libFuzzer build into build/fuzz/ (run a target by hand)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench      benchmarks against the peers (bench/README.md)

B ?= build
SAN ?= 0
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/snare
MANDIR ?= $(PREFIX)/share/man
WEBDIR ?= $(PREFIX)/share/snare/web
VERSION := 0.1.0

PKGS := openssl libnghttp2 libprotobuf-c libseccomp libcares libcap yaml-0.1 libsodium libqrencode libxcrypt libngtcp2 libngtcp2_crypto_gnutls gnutls libnghttp3 jansson zlib libbrotlidec libzstd lua5.4
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	-Wpointer-arith -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -DSNARE_VERSION='"$(VERSION)"' -DSNARE_LIBEXECDIR='"$(LIBEXECDIR)"' \
	-DSNARE_WEBDIR='"$(WEBDIR)"' \
	-Idaemon -Ipolicy -Ibpf -I$(B)/proto -I$(B)/bpf
ifeq ($(SAN),1)
CC := clang
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
CPPFLAGS += -DSNARE_TEST_HOOKS
else
OPT := -O2 -g
endif
# -Wcast-qual everywhere but generated protobuf-c code (its message structs
# hold strings as char *); snare casts const away only through core/unconst.h.
CAST_QUAL_EXEMPT := $(B)/proto/%
CAST_QUAL = $(if $(filter $(CAST_QUAL_EXEMPT),$<),,-Wcast-qual)
CFLAGS += -std=c17 $(OPT) $(WARN) $(PKG_CFLAGS) -MMD -MP $(CAST_QUAL)
LDFLAGS += $(filter -fsanitize=%,$(OPT))
LDLIBS += $(PKG_LIBS)

# Generated protobuf-c code (proto/*.proto -> $(B)/proto/*.pb-c.[ch]).
PROTOS := $(wildcard proto/*.proto)
PROTO_C := $(patsubst proto/%.proto,$(B)/proto/%.pb-c.c,$(PROTOS))
PROTO_H := $(PROTO_C:.c=.h)
PROTO_O := $(PROTO_C:.c=.o)

# Each folder below daemon/ is one module and one static library; policy/ is one more.
MODULES := $(filter-out main,$(notdir $(wildcard daemon/*)))
MOD_SRCS = $(wildcard daemon/$(1)/*.c)
MOD_LIB = $(B)/lib/libsnare-$(1).a
ALL_SRCS := $(foreach m,$(MODULES),$(call MOD_SRCS,$(m))) $(wildcard policy/*.c)
ALL_LIBS := $(foreach m,$(MODULES),$(call MOD_LIB,$(m))) $(B)/lib/libsnare-policy.a $(B)/lib/libsnare-proto.a
# The modules linked into build/snare (a module joins when snare uses it).
SNARE_MODULES := core ipc config http1 certs output worker coordinator spawner ca resolve tlsparse ws \
	dns netstack privsep wireguard intercept filter encoding rewrite flowedit ui h2 quic script replay
SNARE_MODULES += hold
SNARE_LIBS := $(foreach m,$(SNARE_MODULES),$(call MOD_LIB,$(m))) $(B)/lib/libsnare-policy.a \
	$(B)/lib/libsnare-proto.a

HELPERS := $(notdir $(filter-out helpers/common,$(wildcard helpers/*)))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRCS))

.PHONY: all deps check run fuzz install clean tests bench format helpers deb
.SECONDARY:

all: $(B)/snare helpers

$(B)/proto/%.pb-c.c $(B)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/proto
	protoc-c --c_out=$(B)/proto -Iproto $<

$(B)/proto/%.pb-c.o: $(B)/proto/%.pb-c.c
	$(CC) $(CPPFLAGS) $(filter-out -Werror,$(CFLAGS)) -c -o $@ $<

$(B)/obj/%.o: %.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

define module_lib
$(call MOD_LIB,$(1)): $(patsubst %.c,$(B)/obj/%.o,$(call MOD_SRCS,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

$(B)/lib/libsnare-policy.a: $(patsubst %.c,$(B)/obj/%.o,$(wildcard policy/*.c))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/lib/libsnare-proto.a: $(PROTO_O)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

LINK_ALL = -Wl,--start-group $(ALL_LIBS) -Wl,--end-group

$(B)/snare: $(B)/obj/daemon/main/snare.o $(SNARE_LIBS)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(SNARE_LIBS) -Wl,--end-group $(LDLIBS)

$(B)/obj/daemon/main/snare.o: daemon/main/snare.c $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Privileged helpers: helpers/<name>/*.c + helpers/common/*.c -> $(B)/snare-<name>,
# linked with the few snare modules a helper may use.
HELPER_BASE_LIBS = $(filter %/libsnare-core.a %/libsnare-ipc.a %/libsnare-privsep.a \
	%/libsnare-intercept.a %/libsnare-policy.a %/libsnare-proto.a,$(ALL_LIBS))

# The local-capture eBPF programs: vmlinux.h from the running kernel's BTF,
# clang -target bpf, then a libbpf skeleton, all under $(B)/bpf.
# Without kernel BTF this fails softly: snare-redirector then builds without
# its programs and refuses to run with a clear message.
$(B)/bpf/redirect.skel.h: bpf/redirect.bpf.c bpf/redirect_abi.h bpf/build.sh
	bpf/build.sh $(B)/bpf || echo "bpf: cannot build the eBPF programs; local mode disabled" >&2
$(B)/obj/helpers/redirector/redir_bpf.o: $(B)/bpf/redirect.skel.h
define helper_bin
$(B)/snare-$(1): $(patsubst %.c,$(B)/obj/%.o,$(wildcard helpers/$(1)/*.c) $(wildcard helpers/common/*.c)) $(HELPER_BASE_LIBS)
	$(CC) $(LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--start-group $(HELPER_BASE_LIBS) \
		-Wl,--end-group $(LDLIBS) $$(HELPER_LIBS_$(1))
endef
$(foreach h,$(HELPERS),$(eval $(call helper_bin,$(h))))
helpers: $(foreach h,$(HELPERS),$(B)/snare-$(h))
HELPER_LIBS_netfilter = $(shell pkg-config --libs libnftnl libmnl 2>/dev/null)
HELPER_LIBS_tun = $(shell pkg-config --libs libnl-3.0 libnl-route-3.0 2>/dev/null)
HELPER_LIBS_redirector = $(shell pkg-config --libs libbpf libnl-3.0 libnl-route-3.0 2>/dev/null)

# Unit tests: tests/unit/test_<module>[_what].c links only its module's
# library, core and proto (plus TEST_LIBS_<module> when it needs more).
test_mod = $(word 2,$(subst _, ,$(1)))
test_libs = $(B)/lib/libsnare-$(call test_mod,$(1)).a $(TEST_LIBS_$(call test_mod,$(1))) \
	$(B)/lib/libsnare-core.a $(B)/lib/libsnare-proto.a
TEST_LIBS_worker = $(filter-out $(B)/lib/libsnare-worker.a,$(SNARE_LIBS))
TEST_LIBS_coordinator = $(filter-out $(B)/lib/libsnare-coordinator.a,$(SNARE_LIBS))
TEST_LIBS_output = $(B)/lib/libsnare-config.a $(B)/lib/libsnare-rewrite.a $(B)/lib/libsnare-flowedit.a $(B)/lib/libsnare-filter.a $(B)/lib/libsnare-encoding.a
TEST_LIBS_filter = $(B)/lib/libsnare-encoding.a
TEST_LIBS_config = $(B)/lib/libsnare-rewrite.a $(B)/lib/libsnare-flowedit.a $(B)/lib/libsnare-filter.a \
	$(B)/lib/libsnare-encoding.a
TEST_LIBS_privsep = $(B)/lib/libsnare-ipc.a
TEST_LIBS_intercept = $(B)/lib/libsnare-ipc.a
TEST_LIBS_ui = $(B)/lib/libsnare-output.a $(B)/lib/libsnare-filter.a $(B)/lib/libsnare-encoding.a \
	$(B)/lib/libsnare-http1.a $(B)/lib/libsnare-ws.a $(B)/lib/libsnare-ipc.a $(B)/lib/libsnare-config.a \
	$(B)/lib/libsnare-replay.a $(B)/lib/libsnare-flowedit.a $(B)/lib/libsnare-policy.a
TEST_LIBS_quic = $(B)/lib/libsnare-tlsparse.a
TEST_LIBS_script = $(B)/lib/libsnare-flowedit.a $(B)/lib/libsnare-dns.a
TEST_LIBS_replay = $(B)/lib/libsnare-flowedit.a $(B)/lib/libsnare-output.a \
	$(B)/lib/libsnare-config.a $(B)/lib/libsnare-filter.a $(B)/lib/libsnare-encoding.a
TEST_LIBS_hold = $(B)/lib/libsnare-filter.a $(B)/lib/libsnare-encoding.a
TEST_LIBS_rewrite = $(B)/lib/libsnare-flowedit.a $(B)/lib/libsnare-filter.a \
	$(B)/lib/libsnare-encoding.a
# The encoding tests make their vectors with the encoders of the same libraries.
$(B)/tests/test_encoding: LDLIBS += $(shell pkg-config --libs libbrotlienc 2>/dev/null)

.SECONDEXPANSION:
$(B)/tests/%: tests/unit/%.c $$(call test_libs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -Wl,--start-group $(filter %.a,$^) \
		-Wl,--end-group $(LDLIBS) -lcmocka

# Fuzz targets (libFuzzer; clang only): tests/fuzz/fuzz_<module>[_what].c.
# In the check build they replay their corpus (tests/fuzz/corpus/<name>/).
$(B)/fuzz/%: tests/fuzz/%.c $$(call test_libs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< -Wl,--start-group \
		$(filter %.a,$^) -Wl,--end-group $(LDLIBS)

# Test peers built from snare's modules: tests/tools/<name>/*.c -> $(B)/tools/<name>.
$(B)/tools/h2echo: $(patsubst %.c,$(B)/obj/%.o,$(wildcard tests/tools/h2echo/*.c)) \
		$(B)/lib/libsnare-h2.a $(B)/lib/libsnare-core.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Test tools: tests/tools/<name>.c, linked with the modules listed in TOOL_LIBS_<name>.
TOOL_LIBS_quicpeer = $(B)/lib/libsnare-quic.a $(B)/lib/libsnare-tlsparse.a $(B)/lib/libsnare-policy.a \
	$(B)/lib/libsnare-core.a
TOOL_LIBS_quicflood = $(TOOL_LIBS_quicpeer)
$(B)/tests/tools/%: tests/tools/%.c $$(TOOL_LIBS_$$*)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -Wl,--start-group $(TOOL_LIBS_$*) \
		-Wl,--end-group $(LDLIBS)

tests: $(B)/snare helpers $(UNIT_BINS) $(FUZZ_BINS) $(B)/tools/h2echo $(B)/tests/tools/quicpeer \
	$(B)/tests/tools/quicflood

deps:
	@scripts/deps.sh build

# A test that fails to build is reported as failed by tests/run.sh (it
# checks that every test source has a binary), so the build keeps going.
check:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory -k -j$$(nproc) B=build/check SAN=1 tests || true
	@tests/run.sh build/check

run: deps
	@$(MAKE) --no-print-directory -j$$(nproc) all
	$(B)/snare --mode regular@127.0.0.1:8080

fuzz:
	@$(MAKE) --no-print-directory B=build/fuzz SAN=1 \
		OPT='-O1 -g -fsanitize=address,undefined,fuzzer-no-link' $(patsubst $(B)/%,build/fuzz/%,$(FUZZ_BINS))

bench: deps
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory -j$$(nproc) all
	bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/snare $(DESTDIR)$(BINDIR)/snare
	for h in $(HELPERS); do install -m 0755 $(B)/snare-$$h $(DESTDIR)$(LIBEXECDIR)/snare-$$h; done
	for s in 1 5 7 8; do for f in man/*.$$s; do [ -e "$$f" ] && \
		install -m 0644 $$f $(DESTDIR)$(MANDIR)/man$$s/ || true; done; done
	ln -sf snare $(DESTDIR)$(BINDIR)/snare-web
	install -d $(DESTDIR)$(WEBDIR)
	for f in web/*; do [ -f "$$f" ] && install -m 0644 $$f $(DESTDIR)$(WEBDIR)/ || true; done

# Debian package, built from a copy of the tree (dpkg-buildpackage, lintian).
# In a git work tree the copy holds what git would commit (tracked and new
# files, never ignored ones), so the package builds as from a clean clone.
# Variables given to this make (B=, SAN=, OPT=) stay out of the package's build.
deb:
	scripts/deps.sh deb
	rm -rf $(B)/deb && mkdir -p $(B)/deb/snare-$(VERSION)
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
			tar --null -T - --ignore-failed-read -cf -; \
	else tar --exclude=./build --exclude='./build-*' -cf - .; fi | \
		tar -xf - -C $(B)/deb/snare-$(VERSION)
	cp -r packaging/debian $(B)/deb/snare-$(VERSION)/debian
	cd $(B)/deb/snare-$(VERSION) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u B -u SAN -u OPT \
		dpkg-buildpackage -us -uc -b -Jauto
	lintian --fail-on error $(B)/deb/snare_$(VERSION)_*.changes

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/tests $(B)/fuzz -name '*.d' 2>/dev/null)

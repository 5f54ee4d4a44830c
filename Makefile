# ScaiSpeak build.
#
# Every module is a directory whose *.c files are found by wildcard, so adding a
# file to a module needs no change here. Libraries are static archives; the four
# binaries link what they need:
#
#   common/ + generated proto  -> libss_common.a
#   kernels/cpu (+ kernels/cuda when nvcc is found) -> libss_kernels.a
#   node/engine/*/ (frontend, acoustic, synth, voice) -> libss_engine.a
#   node/ (but main_node.c)    -> libss_node.a
#   gateway/ (but main_gateway.c) -> libss_gateway.a
#   cli/ (but main_cli.c)      -> libss_cli.a
#   worker/ (but main_worker.c) -> libss_worker.a
#
# Entry points: node/main_node.c, gateway/main_gateway.c, worker/main_worker.c,
# cli/main_cli.c. Unit tests: every tests/unit/*.c goes into one Criterion
# binary. Test tools: every tests/tools/*.c is its own program (may link the
# test-only oracles, libHTSEngine).
#
# Variables: SAN=1 (ASan+UBSan build in build-san/), CUDA=0 (CPU-only even when
# nvcc exists), NVCC=path, BUILD_DIR=dir (a private build tree).

SAN  ?= 0
# The team's shared folder (eval tools for the quality tests), found once for
# every test and bench script (tests/shared_dir.sh says where it looks).
ifndef SCAISPEAK_SHARED
SCAISPEAK_SHARED := $(shell sh tests/shared_dir.sh)
endif
export SCAISPEAK_SHARED
CUDA ?= auto

ifeq ($(SAN),1)
B := $(if $(BUILD_DIR),$(BUILD_DIR),build-san)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT := -O1
else
B := $(if $(BUILD_DIR),$(BUILD_DIR),build)
SANFLAGS :=
OPT := -O2
endif

ifeq ($(CUDA),0)
NVCC :=
else
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
endif
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))

CC ?= cc
PKGS := libevent libevent_pthreads libnghttp2 jansson hiredis opus ogg vorbisfile sndfile soxr flac lame libavcodec libavutil libcurl openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) -g -pthread -Wall -Wextra -Werror \
          -I. -I$(B)/gen -isystem /usr/include/flite $(PKG_CFLAGS) $(SANFLAGS)
LDLIBS := -lgrpc -lgpr -lprotobuf-c -lwslay \
          -lflite_usenglish -lflite_cmulex -lflite \
          $(PKG_LIBS) -lm -lpthread
LDFLAGS := $(SANFLAGS) -pthread

ifneq ($(NVCC),)
CFLAGS  += -DSS_HAVE_CUDA=1 -isystem $(CUDA_HOME)/include
LDLIBS  += -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt -lstdc++
NVFLAGS := -O3 -std=c++17 -I. \
           -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
           -gencode arch=compute_90,code=compute_90 \
           -Werror all-warnings -Xcompiler -Wall,-Wextra,-Werror,-fPIC
CUDA_SRC := $(wildcard kernels/cuda/*.cu)
else
CUDA_SRC :=
endif

PROTO_SRC := $(wildcard proto/*.proto)
PROTO_C   := $(patsubst proto/%.proto,$(B)/gen/proto/%.pb-c.c,$(PROTO_SRC))
PROTO_H   := $(PROTO_C:.c=.h)

COMMON_SRC  := $(wildcard common/*.c)
KERNEL_SRC  := $(wildcard kernels/cpu/*.c) $(wildcard kernels/*.c)
ENGINE_SRC  := $(wildcard node/engine/*/*.c)
NODE_SRC    := $(filter-out node/main_node.c,$(wildcard node/*.c))
GATEWAY_SRC := $(filter-out gateway/main_gateway.c,$(wildcard gateway/*.c))
CLI_SRC     := $(filter-out cli/main_cli.c cli/main_cli_ops.c,$(wildcard cli/*.c))
WORKER_SRC  := $(filter-out worker/main_worker.c,$(wildcard worker/*.c))
UNIT_SRC    := $(wildcard tests/unit/*.c)
TOOL_SRC    := $(wildcard tests/tools/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

LIB_COMMON  := $(B)/lib/libss_common.a
LIB_KERNELS := $(B)/lib/libss_kernels.a
LIB_ENGINE  := $(B)/lib/libss_engine.a
LIB_NODE    := $(B)/lib/libss_node.a
LIB_GATEWAY := $(B)/lib/libss_gateway.a
LIB_CLI     := $(B)/lib/libss_cli.a
LIB_WORKER  := $(B)/lib/libss_worker.a
ALL_LIBS    := $(LIB_CLI) $(if $(WORKER_SRC),$(LIB_WORKER)) $(LIB_GATEWAY) $(LIB_NODE) $(LIB_ENGINE) $(LIB_KERNELS) $(LIB_COMMON)

BINS  := $(B)/bin/scaispeak-gateway $(B)/bin/scaispeak-node $(B)/bin/scaispeak-worker \
         $(B)/bin/scaispeak $(B)/bin/scaispeak-ops
UNIT  := $(B)/bin/unit_tests
TOOLS := $(patsubst tests/tools/%.c,$(B)/tests/%,$(TOOL_SRC))

.PHONY: FORCE all deps install uninstall run test test-unit test-integration test-quality test-webrtc test-browser bench test-gpu bench-gpu clean print-config fuzz print-ldlibs
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BINS)

# Debian packages, then the npm clients of the tests (package-lock.json,
# into node_modules/). Debian's nodejs has no npm inside; NodeSource's does.
# Cheap when everything is there (one dpkg-query; npm ci only when
# package-lock.json differs from the one node_modules/ was installed from),
# so `make run` and `make test` both depend on it and CI's `make deps` then
# `make test` installs once.
deps:
	@sh deploy/install_deps.sh deploy/packages.txt
	@command -v npm >/dev/null 2>&1 || sh deploy/install_deps.sh deploy/packages-npm.txt
	@if cmp -s package-lock.json node_modules/.scaispeak-installed-lock; then \
	    echo "deps: node_modules matches package-lock.json"; \
	else \
	    npm ci --no-audit --no-fund --loglevel=error && \
	    cp package-lock.json node_modules/.scaispeak-installed-lock; \
	fi

# --- the commit this build comes from (scaispeak_build_info{commit}), never
# hard-coded: rewritten only when it changed, so a new commit recompiles one file.
BUILD_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
$(B)/gen/build_commit.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define SS_BUILD_COMMIT "%s"\n' '$(BUILD_COMMIT)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(B)/obj/common/process_metrics.o: $(B)/gen/build_commit.h
FORCE:

# --- files the gateway serves from memory (gateway/embedded_files.h; never
# committed): each file's bytes as a C array, and a table keyed by its path.
EMBEDDED_FILES := docs/openapi.json gateway/admin/index.html gateway/admin/app.js gateway/admin/style.css
$(B)/gen/embedded_files.c: $(EMBEDDED_FILES) Makefile
	@mkdir -p $(dir $@)
	@{ echo '/* Generated from $(EMBEDDED_FILES) by the Makefile; do not edit. */'; \
	   echo '#include "gateway/embedded_files.h"'; \
	   i=0; for f in $(EMBEDDED_FILES); do \
	     echo "static const unsigned char file_$$i[] = {"; \
	     od -An -v -tx1 $$f | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	     echo '};'; i=$$((i + 1)); done; \
	   echo 'const gw_embedded_file gw_embedded_files[] = {'; \
	   i=0; for f in $(EMBEDDED_FILES); do \
	     echo "    {\"$$f\", file_$$i, $$(wc -c < $$f)},"; i=$$((i + 1)); done; \
	   echo '};'; \
	   echo "const size_t gw_embedded_files_count = $$i;"; } > $@.tmp && mv $@.tmp $@

# --- generated protobuf-c code (never committed)
$(B)/gen/proto/%.pb-c.c $(B)/gen/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(B)/gen
	protoc-c --c_out=$(B)/gen $<

$(B)/obj/$(B)/gen/%.o: $(B)/gen/%.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-unused-parameter -MMD -MP -c $< -o $@

$(B)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/%.cu.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -MMD -MP -c $< -o $@

$(LIB_COMMON): $(call obj,$(COMMON_SRC)) $(call obj,$(PROTO_C))
$(LIB_KERNELS): $(call obj,$(KERNEL_SRC)) $(patsubst %.cu,$(B)/obj/%.cu.o,$(CUDA_SRC))
$(LIB_ENGINE): $(call obj,$(ENGINE_SRC))
$(LIB_NODE): $(call obj,$(NODE_SRC))
$(LIB_GATEWAY): $(call obj,$(GATEWAY_SRC)) $(B)/obj/$(B)/gen/embedded_files.o
$(LIB_CLI): $(call obj,$(CLI_SRC))
$(LIB_WORKER): $(call obj,$(WORKER_SRC))
$(B)/lib/%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(B)/bin/scaispeak-gateway: $(call obj,gateway/main_gateway.c) $(ALL_LIBS)
$(B)/bin/scaispeak-worker:  $(call obj,worker/main_worker.c) $(ALL_LIBS)
$(B)/bin/scaispeak-ops:     $(call obj,cli/main_cli_ops.c) $(ALL_LIBS)
$(B)/bin/scaispeak-node:    $(call obj,node/main_node.c) $(ALL_LIBS)
$(filter-out $(B)/bin/scaispeak,$(BINS)):
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

# --- scaispeak (the CLI's local commands: synth, labels, analyze, config)
# loads only what synthesis needs (issue 17, start-up): the CPU kernels (the
# two files that know about CUDA compiled again without SS_HAVE_CUDA), the
# engine, common, flite and the audio libraries; never gRPC, libcurl,
# OpenSSL, hiredis, libevent or the CUDA runtime. --as-needed drops every
# library no object it links uses. nodes/admin/token are scaispeak-ops.
CLI_CPU_KERNEL_OBJ := $(patsubst %.c,$(B)/obj-cpu/%.o,kernels/kernels_select.c kernels/device_probe.c) \
                      $(call obj,$(filter-out kernels/kernels_select.c kernels/device_probe.c,$(KERNEL_SRC)))
LIB_KERNELS_CPU := $(B)/lib/libss_kernels_cpu.a
$(LIB_KERNELS_CPU): $(CLI_CPU_KERNEL_OBJ)
$(B)/obj-cpu/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -DSS_HAVE_CUDA=1,$(CFLAGS)) -MMD -MP -c $< -o $@
CLI_LDLIBS := -Wl,--as-needed -lflite_usenglish -lflite_cmulex -lflite $(PKG_LIBS) -lm -lpthread
$(B)/bin/scaispeak: $(call obj,cli/main_cli.c) $(LIB_CLI) $(LIB_ENGINE) $(LIB_KERNELS_CPU) $(LIB_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_CLI) $(LIB_ENGINE) $(LIB_KERNELS_CPU) $(LIB_COMMON) $(CLI_LDLIBS)

$(UNIT): $(call obj,$(UNIT_SRC)) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(call obj,$(UNIT_SRC)) $(ALL_LIBS) -lcriterion -lHTSEngine $(LDLIBS)

$(B)/tests/%: $(B)/obj/tests/tools/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) -lHTSEngine $(LDLIBS)

# proc_cost measures other programs' peak RSS, which counts its own RSS at
# the spawn too (tests/tools/proc_cost.c): it links libc alone.
$(B)/tests/proc_cost: $(B)/obj/tests/tools/proc_cost.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $<

# --- GPU checks: every tests/gpu/NAME.c is its own program $(B)/gpu/NAME (no
# -lHTSEngine); they print "no CUDA device: skipped" / "GPU: not measured"
# where there is no device, so both targets are safe on CPU-only machines.
GPU_TOOL_SRC := $(wildcard tests/gpu/*.c)
GPU_TOOLS := $(patsubst tests/gpu/%.c,$(B)/gpu/%,$(GPU_TOOL_SRC))

$(B)/gpu/%: $(B)/obj/tests/gpu/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

# --- installing: `make install DESTDIR=/tmp/root PREFIX=/usr` (a package
# build) or `sudo make install` (PREFIX=/usr/local). Binaries to
# $(BINDIR); systemd units (deploy/systemd/*.in with the paths filled in) to
# $(UNITDIR) and the scaispeak user to $(SYSUSERSDIR); the example settings
# to $(SYSCONFDIR)/scaispeak as *.example, and as the live file only where
# none is there yet (an operator's file is never overwritten): *.conf 0644,
# the secrets' *.env 0600; docs to $(DOCDIR). Installing into / (no DESTDIR)
# also creates the scaispeak user with systemd-sysusers. deploy/README.md.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR      ?= $(PREFIX)/share/doc/scaispeak
INSTALL     ?= install
UNITS       := $(patsubst deploy/systemd/%.in,%,$(wildcard deploy/systemd/*.in))
ETC_FILES   := $(notdir $(wildcard deploy/etc/*))

install: $(BINS)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/scaispeak $(DESTDIR)$(DOCDIR)/docs $(DESTDIR)$(DOCDIR)/deploy
	$(INSTALL) -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/
	@for u in $(UNITS); do \
	    sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        -e 's|@DOCDIR@|$(DOCDIR)|g' deploy/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u \
	    || exit 1; echo "installed $(DESTDIR)$(UNITDIR)/$$u"; done
	$(INSTALL) -m 0644 deploy/systemd/scaispeak.sysusers $(DESTDIR)$(SYSUSERSDIR)/scaispeak.conf
	@for f in $(ETC_FILES); do \
	    case $$f in *.env) mode=0600 ;; *) mode=0644 ;; esac; \
	    $(INSTALL) -m $$mode deploy/etc/$$f $(DESTDIR)$(SYSCONFDIR)/scaispeak/$$f.example || exit 1; \
	    if [ -e $(DESTDIR)$(SYSCONFDIR)/scaispeak/$$f ]; then \
	        echo "kept $(DESTDIR)$(SYSCONFDIR)/scaispeak/$$f (the new one is $$f.example)"; \
	    else \
	        $(INSTALL) -m $$mode deploy/etc/$$f $(DESTDIR)$(SYSCONFDIR)/scaispeak/$$f || exit 1; \
	    fi; done
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(wildcard docs/*.md) $(DESTDIR)$(DOCDIR)/docs/
	$(INSTALL) -m 0644 deploy/README.md $(DESTDIR)$(DOCDIR)/deploy/
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null 2>&1; then \
	    systemd-sysusers $(SYSUSERSDIR)/scaispeak.conf; \
	    echo "next: fill $(SYSCONFDIR)/scaispeak/*.env, then systemctl daemon-reload && systemctl enable --now scaispeak.target scaispeak-gateway scaispeak-node scaispeak-worker"; \
	fi

# Removes what `make install` put there, but the live settings and secrets
# in $(SYSCONFDIR)/scaispeak (an operator's) and the state in /var/lib/scaispeak.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) $(DESTDIR)$(SYSUSERSDIR)/scaispeak.conf
	rm -f $(addsuffix .example,$(addprefix $(DESTDIR)$(SYSCONFDIR)/scaispeak/,$(ETC_FILES)))
	rm -rf $(DESTDIR)$(DOCDIR)

# --- running and testing
run: deps all
	@python3 deploy/foreground.py sh deploy/run_local.sh

# deps first (a fresh Debian machine: `make test` alone installs what the
# build and the tests need; serial make builds prerequisites left to right).
test: deps all $(UNIT) $(TOOLS)
	@SCAISPEAK_BUILD=$(B) SAN=$(SAN) sh tests/run_all.sh

test-quality: all $(TOOLS)
	@SCAISPEAK_BUILD=$(B) sh tests/quality/run_quality.sh

# WebRTC with GStreamer and a real browser: installs deploy/packages-webrtc.txt
# (GStreamer's webrtcbin, Debian chromium) and the npm clients (playwright-core).
test-webrtc: all
	@sh deploy/install_deps.sh deploy/packages-webrtc.txt
	@test -f node_modules/playwright-core/package.json || npm ci --no-audit --no-fund --loglevel=error
	@SCAISPEAK_BUILD=$(B) sh tests/webrtc/run_webrtc.sh

# The admin page (gateway/admin/) in a real browser: installs Debian chromium
# (deploy/packages-browser.txt) and playwright-core, then clicks through every
# flow against a real stack; screenshots land in $(B)/test-browser/.
test-browser: all
	@sh deploy/install_deps.sh deploy/packages-browser.txt
	@test -f node_modules/playwright-core/package.json || npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(B)/test-browser
	@SCAISPEAK_BROWSER_REQUIRED=1 SCAISPEAK_SCREENSHOT_DIR=$(abspath $(B))/test-browser SCAISPEAK_BUILD=$(B) \
	  /usr/bin/python3 -m pytest -q -p no:cacheprovider -rs tests/integration/test_admin_browser.py

bench: all $(TOOLS)
	@SCAISPEAK_BUILD=$(B) sh tests/bench/run_bench.sh

test-gpu: all $(GPU_TOOLS)
	@SCAISPEAK_BUILD=$(B) sh tests/gpu/run_parity.sh

bench-gpu: all $(GPU_TOOLS)
	@SCAISPEAK_BUILD=$(B) sh tests/gpu/run_bench.sh

# --- fuzzing: every tests/fuzz/fuzz_*.c for FUZZ_SECONDS each (clang,
# libFuzzer + ASan + UBSan; the libraries are built into build-fuzz/).
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run_fuzz.sh build-fuzz/run

print-ldlibs:
	@echo $(LDLIBS)

print-config: $(B)/bin/scaispeak-gateway
	@$(B)/bin/scaispeak-gateway --print-config

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(B)/obj $(B)/obj-cpu -name '*.d' 2>/dev/null)

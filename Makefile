# natprobe - network diagnostics and NAT traversal tester.
#
#   make            build ./natprobe
#   make deps       install the Debian packages everything needs (idempotent)
#   make check      deps + build + every test (unit, then integration)
#   make check-asan the unit tests again under ASan + UBSan
#   make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench      benchmarks against the peers users would otherwise pick
#   make demo       deps + build + a full diagnosis in the local lab
#   make install    PREFIX=/usr/local DESTDIR=

CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
BUILD   ?= build
PKGS    := openssl jansson libpcap ncursesw libsrtp2 usrsctp
SAN     ?=
FUZZ_SECONDS ?= 60

# Debian packages: build, test peers and test tools.
DEB_BUILD := build-essential pkg-config clang libssl-dev libsrtp2-dev \
	libjansson-dev libncurses-dev libpcap-dev libcmocka-dev \
	libclang-rt-14-dev libusrsctp-dev
DEB_TEST  := python3 time coturn nftables iproute2 procps python3-jsonschema \
	tshark tmux openssl prometheus python3-junitparser \
	python3-prometheus-client libxml2-utils libnice-dev miniupnpd \
	miniupnpd-nftables miniupnpc curl python3-zeroconf \
	gnutls-bin chromium chromium-driver janus
DEB_ALL   := $(DEB_BUILD) $(DEB_TEST)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter \
	$(shell $(CC) -Werror -Wno-format-truncation -x c -c /dev/null \
		-o /dev/null 2>/dev/null && echo -Wno-format-truncation)
SANFLAGS := -fsanitize=address,undefined
ifeq ($(SAN),1)
OPT     := -O1 -g $(SANFLAGS) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += $(SANFLAGS)
else
OPT     := -O2 -g
endif
CFLAGS  ?=
CFLAGS  += -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -Iprobe -Ianalyzers \
	-Ireports $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm

LIB_SRC  := $(filter-out probe/main.c %_fuzz.c,$(wildcard probe/*.c analyzers/*.c reports/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard probe/*_fuzz.c analyzers/*_fuzz.c)

.PHONY: all deps check check-asan unit integration fuzz bench demo install \
	clean

all: natprobe

natprobe: $(BUILD)/natprobe
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/natprobe: $(BUILD)/probe/main.o $(BUILD)/libnp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libnp.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/libnp.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Installs only what is missing; quick when everything is present.
deps:
	@missing=""; for p in $(DEB_ALL); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
			grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		$$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: all Debian packages present"; fi

# Unit tests: every tests/test_*.c, each one cmocka group.
unit: $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do \
		echo "== $$t"; $$t || fail=1; \
	done; exit $$fail

# Integration tests: real peers (coturn, the lab); each script skips with a
# message when what it needs is missing.
integration: natprobe
	@fail=0; for t in tests/it_*.sh; do \
		echo "== $$t"; NATPROBE=$(CURDIR)/natprobe sh $$t || fail=1; \
	done; exit $$fail

check: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration

check-asan: deps
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(MAKE) BUILD=build-asan SAN=1 unit

FUZZ_CFLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -Iprobe -Ianalyzers -Ireports \
	$(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined -Wall -Wextra -Werror \
	-Wno-unused-parameter
FUZZ_LIB_SRC := $(filter-out probe/main.c probe/cli_%.c %_fuzz.c,$(wildcard probe/*.c analyzers/*.c))

fuzz: deps
	@mkdir -p $(BUILD)/fuzz
	@for f in $(FUZZ_SRC); do \
		n=$$(basename $$f .c); \
		clang $(FUZZ_CFLAGS) -o $(BUILD)/fuzz/$$n $$f $(FUZZ_LIB_SRC) $(PKG_LIBS) -lm || exit 1; \
		seeds=fixtures/$${n%%_*}; corpus=$(BUILD)/fuzz/corpus-$$n; \
		mkdir -p $$corpus; \
		echo "== $$n for $(FUZZ_SECONDS) s, seeds from $$seeds"; \
		$(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -seed=1 \
			-print_final_stats=1 $$corpus $$seeds || exit 1; \
	done

bench: natprobe
	sh tests/bench.sh

demo: deps
	$(MAKE) all
	sh fixtures/lab/demo.sh

MANDIR  ?= $(PREFIX)/share/man

install: natprobe
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 natprobe $(DESTDIR)$(BINDIR)/natprobe
	install -m 644 reports/natprobe.1 $(DESTDIR)$(MANDIR)/man1/natprobe.1

clean:
	rm -rf build build-asan natprobe

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# smtp-ports: one GNU Makefile, out-of-tree build directory.
#
#   make [all]        libsmtpprobe.so/.a, smtpprobe.pc, check_smtp_ports,
#                     smtp_ports_exporter, fakesmtp (the scripted test server)
#   make check        Check unit + probe + program tests (CK_RUN_SUITE/CASE)
#   make check-e2e    real Postfix, Nagios 4, Icinga 2, Prometheus (root)
#   make asan         the whole suite under ASan + UBSan (build/asan)
#   make lint         banned functions, whitespace, header self-containment
#   make bench        benchmarks against check_smtp / blackbox_exporter
#   make fuzz         libFuzzer targets (clang); FUZZ_SECONDS=N runs them
#   make demo         the embedded default: fake server, plugin, exporter
#   make deps         install missing Debian packages (root) or say how
#   make install      PREFIX DESTDIR LIBDIR INCLUDEDIR BINDIR PLUGINDIR MANDIR
#
# Knobs: BUILD=dir, CC=clang, WERROR=1, SANITIZE=1, V=1, CFLAGS, CPPFLAGS,
# LDFLAGS.

VERSION		:= 0.1.0
SOVERSION	:= 0
BUILD		?= build
CC		?= cc
AR		?= ar
PKG_CONFIG	?= pkg-config
PREFIX		?= /usr/local
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
PLUGINDIR	?= $(PREFIX)/lib/nagios/plugins
MANDIR		?= $(PREFIX)/share/man
DATADIR		?= $(PREFIX)/share

ifeq ($(origin CC),default)
CC		:= cc
endif

ifeq ($(V),1)
Q		:=
else
Q		:= @
endif

WARNINGS	:= -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 \
		   -Wstrict-prototypes -Wmissing-prototypes \
		   -Wmissing-declarations -Wpointer-arith -Wcast-qual \
		   -Wwrite-strings -Wundef -Wvla -Wnull-dereference \
		   -Wold-style-definition -Wredundant-decls
ifeq ($(WERROR),1)
WARNINGS	+= -Werror
endif

OPT		?= -O2 -g
BASE_CFLAGS	:= -std=c11 -D_GNU_SOURCE $(OPT) $(WARNINGS) -fPIC -MMD -MP
BASE_LDFLAGS	:=
ifeq ($(SANITIZE),1)
BASE_CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined -O1
BASE_LDFLAGS	+= -fsanitize=address,undefined
endif

pc_cflags	= $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs		= $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

LIB_PKGS	:= openssl libcares
EXPORTER_PKGS	:= libmicrohttpd yaml-0.1 libcrypt gnutls
TEST_PKGS	:= check

LIB_CFLAGS	:= $(call pc_cflags,$(LIB_PKGS))
LIB_LIBS	:= $(call pc_libs,$(LIB_PKGS)) -lpthread
EXPORTER_CFLAGS	:= $(call pc_cflags,$(EXPORTER_PKGS))
EXPORTER_LIBS	:= $(call pc_libs,$(EXPORTER_PKGS))
TEST_CFLAGS	:= $(call pc_cflags,$(TEST_PKGS))
TEST_LIBS	:= $(call pc_libs,$(TEST_PKGS))

ALL_CFLAGS	= $(BASE_CFLAGS) -Iinclude $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS	= $(BASE_LDFLAGS) $(LDFLAGS)

# Sources by directory: main.c holds main(); everything else in plugin/,
# exporter/ and tests/fake/ goes into a convenience archive so that the
# unit tests link the same objects as the programs.
LIB_SRCS	:= $(sort $(wildcard lib/*.c))
PLUGIN_SRCS	:= $(filter-out plugin/main.c,$(sort $(wildcard plugin/*.c)))
EXPORTER_SRCS	:= $(filter-out exporter/main.c,$(sort $(wildcard exporter/*.c)))
FAKE_SRCS	:= $(filter-out tests/fake/main.c,$(sort $(wildcard tests/fake/*.c)))
TEST_SRCS	:= $(sort $(wildcard tests/check_*.c))

obj		= $(patsubst %.c,$(BUILD)/%.o,$(1))

LIB_OBJS	:= $(call obj,$(LIB_SRCS))
PLUGIN_OBJS	:= $(call obj,$(PLUGIN_SRCS))
EXPORTER_OBJS	:= $(call obj,$(EXPORTER_SRCS))
FAKE_OBJS	:= $(call obj,$(FAKE_SRCS))
TEST_OBJS	:= $(call obj,$(TEST_SRCS))

LIB_SO		:= $(BUILD)/libsmtpprobe.so.$(VERSION)
LIB_SONAME	:= libsmtpprobe.so.$(SOVERSION)
LIB_A		:= $(BUILD)/libsmtpprobe.a
LIB_PC		:= $(BUILD)/smtpprobe.pc
PLUGIN_A	:= $(BUILD)/libplugin.a
EXPORTER_A	:= $(BUILD)/libexporter.a
FAKE_A		:= $(BUILD)/libfake.a
PLUGIN		:= $(BUILD)/check_smtp_ports
EXPORTER	:= $(BUILD)/smtp_ports_exporter
FAKESMTP	:= $(BUILD)/fakesmtp
CHECK_ALL	:= $(BUILD)/check_all

PROGRAMS	:= $(PLUGIN) $(EXPORTER) $(FAKESMTP)

.PHONY: all check check-e2e asan lint bench fuzz demo deps install clean \
	dist loadtest hostile valgrind

all: $(LIB_SO) $(LIB_A) $(LIB_PC) $(PROGRAMS)

# --- per-directory flags ---------------------------------------------------
$(BUILD)/lib/%.o: ALL_CFLAGS += -Ilib $(LIB_CFLAGS) -DSMTPPROBE_BUILDING
$(BUILD)/plugin/%.o: ALL_CFLAGS += -Iplugin
$(BUILD)/exporter/%.o: ALL_CFLAGS += -Iexporter $(EXPORTER_CFLAGS)
$(BUILD)/tests/%.o: ALL_CFLAGS += -Ilib -Iplugin -Iexporter -Itests \
	$(LIB_CFLAGS) $(EXPORTER_CFLAGS) $(TEST_CFLAGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# --- the library -------------------------------------------------------------
$(LIB_A): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS) lib/smtpprobe.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/smtpprobe.map -Wl,--no-undefined \
		$(ALL_LDFLAGS) -o $@ $(LIB_OBJS) $(LIB_LIBS)
	$(Q)ln -sf $(notdir $@) $(BUILD)/$(LIB_SONAME)
	$(Q)ln -sf $(LIB_SONAME) $(BUILD)/libsmtpprobe.so

$(LIB_PC): smtpprobe.pc.in Makefile
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$< > $@

# --- convenience archives and programs (static link, no RPATH) ---------------
$(PLUGIN_A): $(PLUGIN_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(EXPORTER_A): $(EXPORTER_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
$(FAKE_A): $(FAKE_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(PLUGIN): $(BUILD)/plugin/main.o $(PLUGIN_A) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS) -lm

$(EXPORTER): $(BUILD)/exporter/main.o $(EXPORTER_A) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EXPORTER_LIBS) $(LIB_LIBS) -lm

$(BUILD)/tests/fake/%.o: ALL_CFLAGS += $(LIB_CFLAGS)
$(FAKESMTP): $(BUILD)/tests/fake/main.o $(FAKE_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)

$(CHECK_ALL): $(TEST_OBJS) $(PLUGIN_A) $(EXPORTER_A) $(FAKE_A) $(LIB_A)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(TEST_OBJS) $(PLUGIN_A) $(EXPORTER_A) \
		$(FAKE_A) $(LIB_A) $(TEST_LIBS) $(EXPORTER_LIBS) $(LIB_LIBS) -lm

# --- tests -------------------------------------------------------------------
# The suite finds the programs through SMTPPROBE_BUILD.  CK_RUN_SUITE and
# CK_RUN_CASE select; CK_DEFAULT_TIMEOUT is per case.
check: all $(CHECK_ALL)
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) SMTPPROBE_SRC=$(CURDIR) \
		$(CHECK_ALL)

# Sanitizers slow everything down: Check's per-case timeouts get a
# multiplier (time bounds are judged on the normal build).
asan:
	$(Q)CK_TIMEOUT_MULTIPLIER=$${CK_TIMEOUT_MULTIPLIER:-3} \
		$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 check

valgrind: all $(CHECK_ALL)
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) SMTPPROBE_SRC=$(CURDIR) \
		scripts/valgrind-check $(BUILD)

check-e2e: all
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) tests/e2e/run

hostile: all
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) tests/hostile/run

lint:
	$(Q)scripts/lint

bench: all
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) bench/run

loadtest: all
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) bench/loadtest

FUZZ_SECONDS	?= 0
fuzz:
	$(Q)BUILD=$(BUILD)/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run

demo: all
	$(Q)SMTPPROBE_BUILD=$(abspath $(BUILD)) scripts/demo

deps:
	$(Q)scripts/deps

dist:
	$(Q)scripts/dist $(VERSION)

# --- install -----------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PLUGINDIR) \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 644 include/smtpprobe.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libsmtpprobe.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libsmtpprobe.so
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(LIB_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 755 $(PLUGIN) $(DESTDIR)$(PLUGINDIR)/
	install -m 755 $(EXPORTER) $(DESTDIR)$(BINDIR)/
	for m in man/*.1; do [ -f "$$m" ] && install -m 644 "$$m" \
		$(DESTDIR)$(MANDIR)/man1/ || true; done

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# SPDX-License-Identifier: MIT
# src/: the public API core, and the sm-run command.

# libsm_core.la: every object of the library, hidden symbols included. The tests link it, so
# they reach internals without #include-ing .c files; sched/, kernels/ and alloc/ append to it.
noinst_LTLIBRARIES += libsm_core.la
libsm_core_la_SOURCES = \
	%D%/smallmind.h \
	%D%/errbuf.c \
	%D%/errbuf.h \
	%D%/gguf.c \
	%D%/gguf.h \
	%D%/log.c \
	%D%/log.h \
	%D%/mapfile.c \
	%D%/mapfile.h \
	%D%/status.c \
	%D%/tok_bpe.c \
	%D%/tok_gguf.c \
	%D%/tok_internal.h \
	%D%/tok_spm.c \
	%D%/tokenizer.c \
	%D%/tokenizer.h \
	%D%/unicode.c \
	%D%/unicode.h \
	%D%/version.c

# The model and its evaluation (issue 6).
libsm_core_la_SOURCES += \
	%D%/arch_common.c \
	%D%/arch_common.h \
	%D%/arch_gpt2.c \
	%D%/arch_llama.c \
	%D%/context.c \
	%D%/context.h \
	%D%/forward.c \
	%D%/model.c \
	%D%/repack.c \
	%D%/repack.h \
	%D%/model.h \
	%D%/ops.c \
	%D%/ops.h \
	%D%/profile.c \
	%D%/profile.h \
	%D%/tokenize_api.c

# Generation (issue 7).
libsm_core_la_SOURCES += \
	%D%/generate.c \
	%D%/textout.c \
	%D%/textout.h

# Samplers: logits in, one token out.
libsm_core_la_SOURCES += \
	%D%/sampler.c \
	%D%/sampler.h
libsm_core_la_CFLAGS = $(AM_CFLAGS) $(HWLOC_CFLAGS) $(JEMALLOC_CFLAGS)
libsm_core_la_LIBADD = $(SM_DEP_LIBS)
# unicode.c's utf8proc.h (the library itself comes with SM_DEP_LIBS).
libsm_core_la_CFLAGS += $(UTF8PROC_CFLAGS)

# libsmallmind.la: the installed library (shared and static), the same objects with only the
# SM_API symbols exported. It has no sources of its own; the empty C file only tells automake
# to link with the C compiler.
lib_LTLIBRARIES += libsmallmind.la
libsmallmind_la_SOURCES =
nodist_EXTRA_libsmallmind_la_SOURCES = sm-link-as-c.c
libsmallmind_la_LIBADD = libsm_core.la
libsmallmind_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(SM_LT_VERSION_INFO) -no-undefined

include_HEADERS += %D%/smallmind.h
nodist_include_HEADERS += %D%/sm_version.h
EXTRA_DIST += %D%/sm_version.h.in

# The programs' shared code (the CLI parser, perplexity, topology printing, the GGUF writer and
# the built-in models) is a convenience library, so that sm-run, sm-bench, the tests and (later)
# fuzzers can call it. It uses only the public API.
noinst_LTLIBRARIES += libsm_cli.la
libsm_cli_la_SOURCES = \
	%D%/cli/args.c \
	%D%/cli/args.h \
	%D%/cli/builtin.c \
	%D%/cli/builtin.h \
	%D%/cli/gguf_writer.c \
	%D%/cli/tokens.c \
	%D%/cli/tokens.h \
	%D%/cli/gguf_writer.h \
	%D%/cli/escape.c \
	%D%/cli/escape.h \
	%D%/cli/exitcode.h \
	%D%/cli/gen.c \
	%D%/cli/gen.h \
	%D%/cli/perplexity.c \
	%D%/cli/perplexity.h \
	%D%/cli/profile_report.c \
	%D%/cli/profile_report.h \
	%D%/cli/readfile.c \
	%D%/cli/readfile.h \
	%D%/cli/report.c \
	%D%/cli/report.h \
	%D%/cli/topology.c \
	%D%/cli/topology.h
libsm_cli_la_LIBADD = -lm

bin_PROGRAMS += sm-run
sm_run_SOURCES = %D%/cli/sm-run.c
sm_run_LDADD = libsm_cli.la libsmallmind.la -lm

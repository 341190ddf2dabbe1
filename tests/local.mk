# SPDX-License-Identifier: MIT
# tests/: one Check program per module (TAP through tap-driver.sh), plus TAP shell scripts.

TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)

# SM_FIXTURES: the environment wins, else configure's --with-fixtures (empty = absent, so
# fixture tests skip). The abs_ paths let scripts find the build under VPATH and distcheck.
AM_TESTS_ENVIRONMENT = \
	: "$${SM_FIXTURES=$(SM_FIXTURES_DIR)}"; export SM_FIXTURES; \
	SM_TOP_SRCDIR='$(abs_top_srcdir)'; export SM_TOP_SRCDIR; \
	SM_TOP_BUILDDIR='$(abs_top_builddir)'; export SM_TOP_BUILDDIR;

SM_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(HWLOC_CFLAGS)
SM_TEST_LIBS = libsm_core.la $(CHECK_LIBS) $(SM_DEP_LIBS)

# Test-only helpers shared by several test programs: the test-side quantizers, tiny-model
# generator and reference forward pass (the oracle for the runtime's forward pass). The GGUF
# writer they use is src/cli/gguf_writer.c, which comes with libsm_cli (so a test program links
# libsm_testutil or libsm_cli, never both).
check_LTLIBRARIES += libsm_testutil.la
libsm_testutil_la_SOURCES = \
	%D%/ref_quant.c \
	%D%/ref_quant.h \
	%D%/ref_forward.c \
	%D%/ref_forward.h \
	%D%/ref_gguf.c \
	%D%/ref_gguf.h \
	%D%/tiny_model.c \
	%D%/tiny_model.h \
	%D%/tiny_model_gguf.c \
	%D%/tiny_vocab.c
libsm_testutil_la_LIBADD = libsm_cli.la -lm

# Generation written with the API's low-level calls, the reference test_cli.sh holds sm-run to.
check_PROGRAMS += tests/api_generate
tests_api_generate_SOURCES = %D%/api_generate.c
tests_api_generate_LDADD = libsm_cli.la libsm_core.la $(SM_DEP_LIBS)

# A built-in model (src/cli/builtin.h) as a GGUF file, for programs that take a path: the
# example of libsmallmind(3) under test_man.sh and `make installcheck` (examples/local.mk).
check_PROGRAMS += tests/builtin_gguf
tests_builtin_gguf_SOURCES = %D%/builtin_gguf.c
tests_builtin_gguf_LDADD = libsm_cli.la libsm_core.la $(SM_DEP_LIBS)

# A seeded model of any size and type as a GGUF file, for benchmarks (see tiny_model.h).
check_PROGRAMS += tests/gen_model
tests_gen_model_SOURCES = %D%/gen_model.c
tests_gen_model_LDADD = libsm_testutil.la libsm_core.la $(SM_DEP_LIBS)

if HAVE_CHECK
SM_CHECK_TESTS = \
	tests/test_core \
	tests/test_log \
	tests/test_deque \
	tests/test_plan \
	tests/test_sched \
	tests/test_arena \
	tests/test_scratch \
	tests/test_zero_alloc \
	tests/test_place \
	tests/test_quant \
	tests/test_kernels \
	tests/test_gguf \
	tests/test_malformed \
	tests/test_forward \
	tests/test_model \
	tests/test_tokenizer \
	tests/test_textout \
	tests/test_generate \
	tests/test_ref_forward \
	tests/test_forward_ref \
	tests/test_builtin \
	tests/test_sampler \
	tests/test_profile \
	tests/test_json_read \
	tests/test_bench_compare \
	tests/test_bench_kernels
check_PROGRAMS += $(SM_CHECK_TESTS)
TESTS += $(SM_CHECK_TESTS)

tests_test_core_SOURCES = %D%/test_core.c %D%/sm_test.h
tests_test_core_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_core_LDADD = $(SM_TEST_LIBS)

tests_test_log_SOURCES = %D%/test_log.c %D%/sm_test.h
tests_test_log_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_log_LDADD = $(SM_TEST_LIBS)

tests_test_deque_SOURCES = %D%/test_deque.c %D%/sm_test.h
tests_test_deque_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_deque_LDADD = $(SM_TEST_LIBS)

tests_test_plan_SOURCES = %D%/test_plan.c %D%/sm_test.h %D%/sm_test_tmp.h
tests_test_plan_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_plan_LDADD = $(SM_TEST_LIBS)

tests_test_sched_SOURCES = %D%/test_sched.c %D%/sm_test.h %D%/sm_test_region.h
tests_test_sched_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_sched_LDADD = $(SM_TEST_LIBS)

tests_test_arena_SOURCES = %D%/test_arena.c %D%/sm_test.h
tests_test_arena_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_arena_LDADD = $(SM_TEST_LIBS)

tests_test_scratch_SOURCES = %D%/test_scratch.c %D%/sm_test.h %D%/sm_test_region.h
tests_test_scratch_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_scratch_LDADD = $(SM_TEST_LIBS)

tests_test_zero_alloc_SOURCES = %D%/test_zero_alloc.c %D%/sm_test.h %D%/sm_test_region.h
tests_test_zero_alloc_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_zero_alloc_LDADD = $(SM_TEST_LIBS)

tests_test_place_SOURCES = %D%/test_place.c %D%/sm_test.h
tests_test_place_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_place_LDADD = $(SM_TEST_LIBS)

tests_test_quant_SOURCES = %D%/test_quant.c %D%/kernel_util.h %D%/sm_test.h
tests_test_quant_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_quant_LDADD = $(SM_TEST_LIBS)

tests_test_kernels_SOURCES = %D%/test_kernels.c %D%/kernel_util.h %D%/sm_test.h
tests_test_kernels_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_kernels_LDADD = $(SM_TEST_LIBS)

tests_test_gguf_SOURCES = %D%/test_gguf.c %D%/sm_test.h %D%/sm_test_raw.h
tests_test_gguf_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_gguf_LDADD = libsm_testutil.la $(SM_TEST_LIBS)

# The malformed-model corpus (GGUF-HARDENING.md rows 1-22) through the public API.
tests_test_malformed_SOURCES = %D%/test_malformed.c %D%/sm_test.h %D%/sm_test_tmp.h \
	%D%/sm_test_raw.h
tests_test_malformed_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_malformed_LDADD = libsm_testutil.la $(SM_TEST_LIBS)

tests_test_forward_SOURCES = %D%/test_forward.c %D%/sm_test.h %D%/sm_test_region.h \
	%D%/sm_test_forward.h %D%/sm_test_model.h %D%/sm_test_tmp.h
tests_test_forward_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_forward_LDADD = $(SM_TEST_LIBS)

tests_test_model_SOURCES = %D%/test_model.c %D%/sm_test.h %D%/sm_test_tmp.h %D%/sm_test_model.h
tests_test_model_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_model_LDADD = libsm_testutil.la $(SM_TEST_LIBS)

tests_test_textout_SOURCES = %D%/test_textout.c %D%/sm_test.h
tests_test_textout_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_textout_LDADD = $(SM_TEST_LIBS)

tests_test_generate_SOURCES = %D%/test_generate.c %D%/sm_test.h
tests_test_generate_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_generate_LDADD = libsm_testutil.la $(SM_TEST_LIBS)

tests_test_tokenizer_SOURCES = %D%/test_tokenizer.c %D%/sm_test.h
tests_test_tokenizer_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_tokenizer_LDADD = libsm_testutil.la $(SM_TEST_LIBS)
tests_test_ref_forward_SOURCES = %D%/test_ref_forward.c %D%/sm_test.h %D%/sm_test_tmp.h
tests_test_ref_forward_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_ref_forward_LDADD = libsm_testutil.la $(SM_TEST_LIBS)

tests_test_forward_ref_SOURCES = %D%/test_forward_ref.c %D%/sm_test.h %D%/sm_test_region.h %D%/sm_test_tmp.h %D%/sm_test_model.h \
	%D%/sm_test_forward.h
tests_test_forward_ref_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_forward_ref_LDADD = libsm_testutil.la $(SM_TEST_LIBS) -lm

# The programs' built-in models (src/cli/builtin.c, in libsm_cli).
tests_test_builtin_SOURCES = %D%/test_builtin.c %D%/sm_test.h
tests_test_builtin_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_builtin_LDADD = libsm_cli.la $(SM_TEST_LIBS) -lm

tests_test_sampler_SOURCES = %D%/test_sampler.c %D%/sm_test.h
tests_test_sampler_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_sampler_LDADD = $(SM_TEST_LIBS) -lm

# The per-op profile (sm_context_profile) and its markdown report (src/cli/profile_report.c,
# which comes with libsm_testutil's libsm_cli).
tests_test_profile_SOURCES = %D%/test_profile.c %D%/sm_test.h %D%/sm_test_model.h \
	%D%/sm_test_region.h %D%/sm_test_tmp.h
tests_test_profile_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_profile_LDADD = libsm_testutil.la $(SM_TEST_LIBS) -lm

# sm-bench --compare and its JSON reader (perf/, in libsm_bench).
tests_test_json_read_SOURCES = %D%/test_json_read.c %D%/sm_test.h
tests_test_json_read_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_json_read_LDADD = libsm_bench.la $(SM_TEST_LIBS) -lm

tests_test_bench_compare_SOURCES = %D%/test_bench_compare.c %D%/sm_test.h %D%/sm_test_tmp.h
tests_test_bench_compare_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_bench_compare_LDADD = libsm_bench.la $(SM_TEST_LIBS) -lm

# sm-bench --kernels in its quick form (perf/bench_kernels.c, in libsm_bench).
tests_test_bench_kernels_SOURCES = %D%/test_bench_kernels.c %D%/sm_test.h %D%/sm_test_tmp.h
tests_test_bench_kernels_CFLAGS = $(SM_TEST_CFLAGS)
tests_test_bench_kernels_LDADD = libsm_bench.la $(SM_TEST_LIBS)
else
# Without Check, fail before any test runs, saying what to install.
check_SCRIPTS += sm-check-is-missing
sm-check-is-missing:
	@echo "make check: the Check unit-test framework (>= 0.13) was not found by configure." >&2
	@echo "Install it with 'apt-get install check', then run ./configure again." >&2
	@exit 1
endif

TESTS += %D%/test_exports.sh %D%/test_no_exit.sh %D%/test_cli.sh %D%/test_bench.sh \
	%D%/test_man.sh
EXTRA_DIST += \
	%D%/tap.sh \
	%D%/exports.txt \
	%D%/test_exports.sh \
	%D%/test_no_exit.sh \
	%D%/test_cli.sh \
	%D%/test_bench.sh \
	%D%/test_man.sh

# perf/scaling-study on a --quick run (needs sm-bench; the parts needing jq or gnuplot skip
# without them).
TESTS += %D%/test_scaling_study.sh
EXTRA_DIST += %D%/test_scaling_study.sh

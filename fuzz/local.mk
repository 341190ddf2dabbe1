# SPDX-License-Identifier: MIT
# fuzz/: libFuzzer harnesses (issue 9), built when configure has --enable-fuzzing (clang; every
# object then carries ASan, UBSan and libFuzzer's coverage instrumentation). `make fuzz-smoke`
# writes the seed corpora and runs each harness for FUZZ_SECONDS.

SM_FUZZ_NAMES = fuzz_model_load fuzz_tokenizer fuzz_cli_args

# Seeds for the argument parsers, one argument per line (gen_seeds NUL-separates them).
SM_FUZZ_CLI_SEEDS = \
	%D%/seeds/cli_args/bench-compare.txt \
	%D%/seeds/cli_args/bench-kernels.txt \
	%D%/seeds/cli_args/bench-lists.txt \
	%D%/seeds/cli_args/bench-models.txt \
	%D%/seeds/cli_args/run-escapes.txt \
	%D%/seeds/cli_args/run-flags.txt \
	%D%/seeds/cli_args/run-generate.txt \
	%D%/seeds/cli_args/run-help.txt \
	%D%/seeds/cli_args/run-perplexity.txt \
	%D%/seeds/cli_args/run-topology.txt
EXTRA_DIST += %D%/smoke.sh $(SM_FUZZ_CLI_SEEDS)

# The tiny models with vocabularies come from the tests' model generator (tests/tiny_model.h).
SM_FUZZ_MODEL_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
SM_FUZZ_MODEL_SOURCES = %D%/fuzz_models.c %D%/fuzz_models.h
SM_FUZZ_MODEL_LIBS = libsm_testutil.la libsm_core.la $(SM_DEP_LIBS) -lm

if SM_FUZZING
noinst_PROGRAMS += \
	%D%/fuzz_model_load \
	%D%/fuzz_tokenizer \
	%D%/fuzz_cli_args \
	%D%/gen_seeds
endif

# The harnesses have no main(): -fsanitize=fuzzer (FUZZ_LDFLAGS) links libFuzzer's.
%C%_fuzz_model_load_SOURCES = %D%/fuzz_model_load.c
%C%_fuzz_model_load_LDADD = libsm_core.la $(SM_DEP_LIBS) -lm
%C%_fuzz_model_load_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

%C%_fuzz_tokenizer_SOURCES = %D%/fuzz_tokenizer.c $(SM_FUZZ_MODEL_SOURCES)
%C%_fuzz_tokenizer_CPPFLAGS = $(SM_FUZZ_MODEL_CPPFLAGS)
%C%_fuzz_tokenizer_LDADD = $(SM_FUZZ_MODEL_LIBS)
%C%_fuzz_tokenizer_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

%C%_fuzz_cli_args_SOURCES = %D%/fuzz_cli_args.c
%C%_fuzz_cli_args_LDADD = libsm_bench.la libsm_cli.la libsm_core.la $(SM_DEP_LIBS) -lm
%C%_fuzz_cli_args_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

%C%_gen_seeds_SOURCES = %D%/gen_seeds.c $(SM_FUZZ_MODEL_SOURCES)
%C%_gen_seeds_CPPFLAGS = $(SM_FUZZ_MODEL_CPPFLAGS)
%C%_gen_seeds_LDADD = $(SM_FUZZ_MODEL_LIBS)

# The seed corpora, written at build time into the build tree (no model file is committed).
# The fuzzers add what they find to the same folders; `make clean` removes them.
%D%/corpus.stamp: %D%/gen_seeds$(EXEEXT) $(SM_FUZZ_CLI_SEEDS)
	$(AM_V_GEN)./%D%/gen_seeds %D%/corpus $(srcdir)/%D%/seeds && touch $@

# Each harness runs alone for FUZZ_SECONDS over its corpus, with a 10 s limit per input (a
# hang), 2 GiB of RSS and FUZZ_MALLOC_LIMIT_MB for any one allocation (the cap: models are at
# most a few MB, so a bigger allocation means a size read from the input was trusted).
FUZZ_SECONDS = 60
FUZZ_MALLOC_LIMIT_MB = 256
if SM_FUZZING
fuzz-smoke: %D%/fuzz_model_load$(EXEEXT) %D%/fuzz_tokenizer$(EXEEXT) \
		%D%/fuzz_cli_args$(EXEEXT) %D%/corpus.stamp
	@: "$${SM_FIXTURES=$(SM_FIXTURES_DIR)}"; export SM_FIXTURES; \
	$(SHELL) $(srcdir)/%D%/smoke.sh $(FUZZ_SECONDS) $(FUZZ_MALLOC_LIMIT_MB) %D% $(SM_FUZZ_NAMES)
else
fuzz-smoke:
	@echo "make fuzz-smoke: the fuzzers are not built; configure with CC=clang --enable-fuzzing" >&2
	@exit 1
endif

clean-local: sm-fuzz-clean
sm-fuzz-clean:
	-rm -rf %D%/corpus %D%/corpus.stamp %D%/artifacts %D%/*.fuzz.log

.PHONY: fuzz-smoke sm-fuzz-clean

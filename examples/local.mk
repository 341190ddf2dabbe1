# SPDX-License-Identifier: MIT
# examples/: the example program of libsmallmind(3) (the page shows generate.c verbatim;
# tests/test_man.sh holds them together). `make check` builds it against the build tree and
# runs it; `make installcheck` builds it as a user would, with pkg-config, against the
# installed library, and runs it on a built-in model written as a GGUF file.
check_PROGRAMS += examples/generate
%C%_generate_SOURCES = %D%/generate.c
%C%_generate_LDADD = libsmallmind.la
# Its own clang-format column limit, so that the page shows it unwrapped.
EXTRA_DIST += %D%/.clang-format

# The installed copy is found through its own smallmind.pc; with DESTDIR, the .pc's prefix is
# redirected under it (an absolute --libdir or --includedir outside the prefix is not).
# SANITIZER_FLAGS: a sanitized library needs its runtime linked into the program first.
# Every SM_API function must then be a page man(1) finds in the installed tree, .so links
# followed, rendering without a warning.
SM_IC_DIR = sm-installcheck.tmp
installcheck-local: tests/builtin_gguf$(EXEEXT)
	@set -e; rm -rf $(SM_IC_DIR); mkdir $(SM_IC_DIR); \
	PKG_CONFIG_PATH='$(DESTDIR)$(pkgconfigdir)'$${PKG_CONFIG_PATH:+:$$PKG_CONFIG_PATH}; \
	export PKG_CONFIG_PATH; \
	flags=`$(PKG_CONFIG) --define-variable=prefix='$(DESTDIR)$(prefix)' --cflags --libs smallmind`; \
	cmd="$(CC) -std=c11 -Wall -Wextra -pedantic $(WERROR_CFLAGS) $(SANITIZER_FLAGS) \
	  -o $(SM_IC_DIR)/generate $(srcdir)/examples/generate.c $$flags \
	  -Wl,-rpath,$(DESTDIR)$(libdir)"; \
	echo "installcheck: $$cmd"; $$cmd; \
	if command -v ldd >/dev/null 2>&1; then \
	  ldd $(SM_IC_DIR)/generate | grep -F '$(DESTDIR)$(libdir)/libsmallmind.so' || { \
	    echo "installcheck: the example does not load $(DESTDIR)$(libdir)/libsmallmind.so:" >&2; \
	    ldd $(SM_IC_DIR)/generate >&2; exit 1; }; \
	fi; \
	tests/builtin_gguf small $(SM_IC_DIR)/model.gguf; \
	$(SM_IC_DIR)/generate $(SM_IC_DIR)/model.gguf "Once upon a time" 16 1 \
	  >$(SM_IC_DIR)/out 2>$(SM_IC_DIR)/err || { cat $(SM_IC_DIR)/err >&2; exit 1; }; \
	grep ', 16 generated in ' $(SM_IC_DIR)/err >/dev/null || { \
	  echo "installcheck: the example did not generate 16 tokens:" >&2; \
	  cat $(SM_IC_DIR)/err >&2; exit 1; }; \
	echo "installcheck: the example ran against the installed library: $$(tail -1 $(SM_IC_DIR)/err)"; \
	if command -v man >/dev/null 2>&1; then \
	  for f in `sed -n 's/^SM_API [^(]*[ *]\(sm_[a-z0-9_]*\)(.*/\1/p' $(srcdir)/src/smallmind.h`; do \
	    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -M '$(DESTDIR)$(mandir)' 3 $$f \
	      >$(SM_IC_DIR)/page 2>$(SM_IC_DIR)/warn || true; \
	    if test -s $(SM_IC_DIR)/warn || ! test -s $(SM_IC_DIR)/page; then \
	      echo "installcheck: man 3 $$f in $(DESTDIR)$(mandir) fails:" >&2; \
	      cat $(SM_IC_DIR)/warn >&2; exit 1; \
	    fi; \
	  done; \
	  echo "installcheck: man 3 finds every SM_API function in $(DESTDIR)$(mandir)"; \
	else \
	  echo "installcheck: man not installed; the pages' links are not checked"; \
	fi; \
	rm -rf $(SM_IC_DIR)

# What a failed installcheck leaves behind, for a look; `make clean` removes it.
clean-local: sm-installcheck-clean
sm-installcheck-clean:
	-rm -rf $(SM_IC_DIR)
.PHONY: sm-installcheck-clean

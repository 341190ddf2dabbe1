# SPDX-License-Identifier: MIT
# man/: manual pages, installed with `make install`. tests/test_cli.sh holds sm-run.1 to the
# options that `sm-run --help` lists.
dist_man_MANS += \
	%D%/sm-run.1 \
	%D%/sm-bench.1 \
	%D%/libsmallmind.3

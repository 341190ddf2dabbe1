# SPDX-License-Identifier: MIT
# man/: manual pages, installed with `make install`. tests/test_cli.sh and tests/test_bench.sh
# hold sm-run.1 and sm-bench.1 to the options their --help lists; tests/test_man.sh holds every
# page to groff without warnings and to src/smallmind.h: each SM_API function is named in the
# NAME section of one section-3 page and has a file of its own name, the page or a link to it.
dist_man_MANS += \
	%D%/sm-run.1 \
	%D%/sm-bench.1 \
	%D%/libsmallmind.3

# The section-3 pages, one per group of functions.
dist_man_MANS += \
	%D%/sm_context_create.3 \
	%D%/sm_context_profile.3 \
	%D%/sm_eval.3 \
	%D%/sm_generate.3 \
	%D%/sm_model_arch.3 \
	%D%/sm_model_load.3 \
	%D%/sm_sampler_create.3 \
	%D%/sm_sched_create.3 \
	%D%/sm_sched_stats.3 \
	%D%/sm_set_log.3 \
	%D%/sm_strerror.3 \
	%D%/sm_tokenize.3 \
	%D%/sm_version.3

# One .so link per function that is not a page's own name, so that `man sm_get_logits` finds
# the page that documents it (installed as they are: man-db follows .so man3/PAGE.3).
dist_man_MANS += \
	%D%/sm_context_errmsg.3 \
	%D%/sm_context_free.3 \
	%D%/sm_context_mem_stats.3 \
	%D%/sm_context_n_ctx.3 \
	%D%/sm_context_n_past.3 \
	%D%/sm_context_params_init.3 \
	%D%/sm_context_profile_reset.3 \
	%D%/sm_context_reset.3 \
	%D%/sm_generate_params_init.3 \
	%D%/sm_get_logits.3 \
	%D%/sm_kernels_isa.3 \
	%D%/sm_model_add_bos.3 \
	%D%/sm_model_free.3 \
	%D%/sm_model_load_buffer.3 \
	%D%/sm_model_meta_str.3 \
	%D%/sm_model_n_ctx_train.3 \
	%D%/sm_model_n_embd.3 \
	%D%/sm_model_n_head.3 \
	%D%/sm_model_n_head_kv.3 \
	%D%/sm_model_n_layer.3 \
	%D%/sm_model_n_params.3 \
	%D%/sm_model_n_vocab.3 \
	%D%/sm_model_params_init.3 \
	%D%/sm_model_size_bytes.3 \
	%D%/sm_model_token_bos.3 \
	%D%/sm_model_token_eos.3 \
	%D%/sm_model_weight_type.3 \
	%D%/sm_sample.3 \
	%D%/sm_sampler_accept.3 \
	%D%/sm_sampler_free.3 \
	%D%/sm_sampler_params_init.3 \
	%D%/sm_sampler_reset.3 \
	%D%/sm_sched_alloc_stats.3 \
	%D%/sm_sched_free.3 \
	%D%/sm_sched_n_workers.3 \
	%D%/sm_sched_params_init.3 \
	%D%/sm_sched_topology_string.3 \
	%D%/sm_sched_worker_info.3 \
	%D%/sm_status_name.3 \
	%D%/sm_token_to_piece.3 \
	%D%/sm_version_string.3

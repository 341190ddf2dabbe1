/* SPDX-License-Identifier: MIT */
/* builtin_gguf.c: writes one of the programs' built-in models (src/cli/builtin.h) as a GGUF
 * file, so that programs that take only a path, such as examples/generate.c under `make check`
 * and `make installcheck`, run on a real model with nothing downloaded.
 *   builtin_gguf NAME FILE */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/builtin.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: builtin_gguf NAME FILE\n");
        return 2;
    }
    const sm_cli_builtin_spec *spec = sm_cli_builtin_find(argv[1]);
    if (!spec) {
        char names[128];
        sm_cli_builtin_names(names, sizeof names);
        fprintf(stderr, "builtin_gguf: no built-in model '%s' (there are: %s)\n", argv[1], names);
        return 2;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    char err[256];
    sm_status st = sm_cli_builtin_gguf(spec, &data, &size, err, sizeof err);
    if (st != SM_OK) {
        fprintf(stderr, "builtin_gguf: %s: %s\n", argv[1], err);
        return 1;
    }
    FILE *f = fopen(argv[2], "wb");
    int ok = f && fwrite(data, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        perror(argv[2]);
    free(data);
    return ok ? 0 : 1;
}

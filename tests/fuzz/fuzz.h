/* fuzz.h — what the libFuzzer targets share.
 *
 * Each target is one program, built by `make fuzz-bins` with clang's
 * -fsanitize=fuzzer plus ASan and UBSan over the project's own library,
 * and fed bytes by libFuzzer (tests/fuzz/run). A crash, a sanitizer
 * report or a broken promise (FUZZ_CHECK) is a finding. */
#ifndef NK_FUZZ_H
#define NK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A promise of the code under test that must hold for any input. */
#define FUZZ_CHECK(cond)                                                   \
	do {                                                                   \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: broken promise: %s\n", __FILE__,       \
			        __LINE__, #cond);                                      \
			abort();                                                       \
		}                                                                  \
	} while (0)

/* The input as a NUL-terminated string (stopping at an inner NUL, as the
 * C string APIs under test do); caller frees. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif

/* fuzz_ini.c — the INI reader on any text: parsed entries or a message
 * naming the line, never a crash; every entry has a key and a line within
 * the text. */
#include "fuzz.h"

#include "ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	size_t lines = 1;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	struct ini ini = {0};
	struct nk_err e = {0};
	int rc = ini_parse("fuzz.conf", text, &ini, &e);
	if (rc == 0) {
		for (size_t i = 0; i < ini.n; i++) {
			FUZZ_CHECK(ini.entries[i].key && ini.entries[i].value);
			FUZZ_CHECK(ini.entries[i].line >= 1 && (size_t)ini.entries[i].line <= lines);
		}
	} else {
		FUZZ_CHECK(rc == EX_CONFIG && !strncmp(e.msg, "fuzz.conf", 9));
	}
	ini_free(&ini);
	free(text);
	return 0;
}

/* fuzz_html_text.c — HTML to text, entity decoding and escaping on any
 * bytes: valid UTF-8 out, and escaped text holds no markup characters. */
#include "fuzz.h"

#include "buf.h"
#include "html_text.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = html_to_text((const char *)data, size);
	FUZZ_CHECK(utf8_valid(text, strlen(text)));
	struct buf esc = {0};
	html_escape(&esc, text, strlen(text));
	FUZZ_CHECK(!strpbrk(buf_str(&esc), "<>\"'"));
	buf_free(&esc);
	free(text);

	char *s = fuzz_cstr(data, size);
	char *dec = html_entities_decode(s);
	FUZZ_CHECK(dec != NULL);
	free(dec);
	free(s);
	return 0;
}

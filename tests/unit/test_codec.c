/* test_codec.c - hex, base64 and percent-encoding */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "unit.h"

static void
test_hex(void)
{
	char out[9];

	CHECK_INT(codec_hexval('0'), 0);
	CHECK_INT(codec_hexval('a'), 10);
	CHECK_INT(codec_hexval('F'), 15);
	CHECK_INT(codec_hexval('g'), -1);
	CHECK_INT(codec_hexval('%'), -1);
	codec_hex(out, "\x00\x7f\xab\xff", 4);
	CHECK_STR(out, "007fabff");
}

static void
test_base64(void)
{
	/* RFC 4648 section 10 */
	static const char *const plain[] = { "", "f", "fo", "foo", "foob",
		"fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
		"Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	struct buf b = BUF_INIT;

	for (int i = 0; i < 7; i++) {
		buf_reset(&b);
		buf_puts(&b, "");
		codec_base64_put(&b, plain[i], strlen(plain[i]));
		CHECK_STR(buf_str(&b), enc[i]);
		buf_reset(&b);
		buf_puts(&b, "");
		CHECK(codec_base64_decode(enc[i], strlen(enc[i]), &b));
		CHECK_STR(buf_str(&b), plain[i]);
	}
	buf_reset(&b);
	buf_puts(&b, "");
	CHECK(codec_base64_decode("Zm9v\r\nYmFy", 10, &b));
	CHECK_STR(buf_str(&b), "foobar");
	buf_reset(&b);
	CHECK(!codec_base64_decode("Zm9v*mFy", 8, &b));
	buf_free(&b);
}

static void
test_percent(void)
{
	struct buf b = BUF_INIT;
	const char *in = "a%20b+c%2x%00%41%";

	buf_puts(&b, "");
	codec_percent_decode(&b, in, strlen(in), 0);
	CHECK_STR(buf_str(&b), "a b+c%2x%00A%");
	buf_reset(&b);
	codec_percent_decode(&b, in, strlen(in), CODEC_PLUS_SPACE | CODEC_KEEP_NUL);
	CHECK_INT(b.len, 11);
	CHECK(memcmp(b.data, "a b c%2x\0A%", 11) == 0);
	buf_reset(&b);
	buf_puts(&b, "");
	codec_percent_put(&b, "a b/é~", strlen("a b/é~"), "/~");
	CHECK_STR(buf_str(&b), "a%20b/%C3%A9~");
	buf_free(&b);
}

int
main(void)
{
	RUN(test_hex);
	RUN(test_base64);
	RUN(test_percent);
	return 0;
}

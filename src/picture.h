/* picture.h - pictures made fit for mail by libvips (Debian's libvips42):
 * decoded to check they are pictures, scaled down when wider than a mail
 * column allows, re-encoded in their own format. Chosen over
 * GraphicsMagick and stb: a maintained Debian library with PNG, JPEG,
 * WebP and GIF, fast, small in memory (it streams), and deterministic
 * (no timestamps written; "strip" drops the metadata). */
#ifndef INFOLETTRE_PICTURE_H
#define INFOLETTRE_PICTURE_H

#include <stddef.h>

/* The size of the picture in data (len bytes of type "image/png",
 * "image/jpeg", "image/webp" or "image/gif") as its header gives it, no
 * pixel decoded: 0 with *w and *h, or EX_DATAERR with *err when libvips
 * does not recognise it. */
int picture_dims(const void *data, size_t len, int *w, int *h, char **err);

/* Decode every pixel of the picture in data, streaming (the memory used
 * does not grow with its size): 0, or EX_DATAERR with *err when it is
 * damaged. */
int picture_check(const void *data, size_t len, char **err);

/*
 * The picture re-encoded in its own format (PNG at compression 9, JPEG
 * at quality 85, WebP at quality 85; GIF is not re-encoded: EX_DATAERR),
 * scaled down to max_width pixels wide when wider (Lanczos), metadata
 * stripped. The same input gives the same bytes. Returns 0 with *out
 * (caller frees), *outlen, *w and *h; EX_DATAERR with *err when it cannot
 * be decoded or encoded.
 */
int picture_fit(const void *data, size_t len, const char *type, int max_width,
	char **out, size_t *outlen, int *w, int *h, char **err);

#endif

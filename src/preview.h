/* preview.h - screenshots of a composed issue in headless Chromium */
#ifndef INFOLETTRE_PREVIEW_H
#define INFOLETTRE_PREVIEW_H

#include "compose.h"

#define PREVIEW_MOBILE "preview-mobile.png"
#define PREVIEW_DESKTOP "preview-desktop.png"
#define PREVIEW_MOBILE_WIDTH 375
#define PREVIEW_DESKTOP_WIDTH 800
#define PREVIEW_TIMEOUT 60 /* seconds for the whole run */

/*
 * Write PREVIEW_MOBILE (PREVIEW_MOBILE_WIDTH px wide, a phone's viewport)
 * and PREVIEW_DESKTOP (PREVIEW_DESKTOP_WIDTH px) into cp->issue.dir:
 * full-page PNG screenshots of the HTML part as the sample recipient sees
 * it (the embedded images read from their files, the sample's links).
 * Chromium is $CHROMIUM when set, else "chromium" on PATH; it runs
 * headless with the network blocked, a fresh profile in a temporary folder
 * under $TMPDIR (else /tmp) that is removed afterwards, driven over
 * --remote-debugging-pipe (no port is opened), never through a shell; its
 * process group is killed when done or after PREVIEW_TIMEOUT seconds.
 * Returns 0; EX_UNAVAILABLE with *err when Chromium is not found (*err
 * says how to install it), cannot be started, fails or times out;
 * EX_CANTCREAT when a temporary or output file cannot be written.
 */
int preview_write(const struct composed *cp, char **err);

#endif

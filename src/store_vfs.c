/* store_vfs.c - the store's files, through a VFS that can gather the page
 * writes of a bulk import into larger writes */
#include "store_priv.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * SQLite writes a database page at a time. A bulk import writes a few
 * hundred megabytes that way, and the kernel spends three times longer
 * on 4 KiB writes than on the same bytes in writes of 64 KiB (188 MB here:
 * 0.17 s against 0.05 s of CPU; its cost is by write more than by byte).
 * The import's pages come nearly in order: when the cache is full the
 * oldest page goes, and the table and its key index grow side by side, so
 * a page of one may come a few pages after a later page of the other.
 *
 * This VFS passes everything to the default one, except, while the import
 * has asked for it (STORE_FCNTL_GATHER on the main database, in rollback
 * journal mode), the writes of whole pages to that file: these are kept in
 * a window of GATHER pages and written as runs of consecutive pages (of
 * up to 124 KiB) when a page falls outside the window or anything else
 * happens. Anything else
 * is any other call on any file of this VFS, or on the VFS itself (an
 * open, a deletion: the journal's deletion is a commit): the pages are
 * written before it. The file and every other file thus see the same
 * writes, in the same order with respect to every other operation (a
 * sync, a lock, a read, a journal write), only fewer and larger; a crash
 * before the window is written is a crash before its writes. The process
 * is one thread while it gathers (an import); other processes cannot see
 * the file before it is unlocked, and an unlock comes after the writes.
 */

#define VFS_NAME "infolettre"
#define GATHER 64       /* pages in the window */
#define GATHER_BEHIND 16 /* of which before the page that opened it */
/* The unix VFS writes at most 128 KiB - 1 bytes a call (and only the
 * length modulo 128 KiB) */
#define MAX_WRITE (128 * 1024 - 1)

struct gfile {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, after this struct */
	bool main_db;
	/* while gathering: the window's pages */
	bool on;
	unsigned char *buf; /* GATHER pages of bufpg bytes */
	int bufpg;
	int pgsz;           /* bytes in a page; 0 while the window is empty */
	sqlite3_int64 start; /* the file offset of buf */
	uint64_t held;      /* which pages of the window are held */
};

static sqlite3_vfs *root; /* the default VFS */
/* the file whose window holds pages, or NULL */
static struct gfile *holding;

/* Write the pages held, as runs of consecutive ones. */
static int
drain(void)
{
	struct gfile *f = holding;
	int rc = SQLITE_OK;

	if (!f)
		return SQLITE_OK;
	holding = NULL;
	for (int i = 0; i < GATHER && rc == SQLITE_OK; ) {
		int j = i;

		if (!(f->held >> i & 1)) {
			i++;
			continue;
		}
		while (j < GATHER && f->held >> j & 1 &&
		    (j - i + 1) * f->pgsz <= MAX_WRITE)
			j++;
		rc = f->real->pMethods->xWrite(f->real, f->buf +
		    (size_t)i * f->pgsz, (j - i) * f->pgsz, f->start +
		    (sqlite3_int64)i * f->pgsz);
		i = j;
	}
	f->held = 0;
	f->pgsz = 0;
	return rc;
}

/* Is a write of n bytes at off one of a whole page, to gather in f? */
static bool
whole_page(const struct gfile *f, int n, sqlite3_int64 off)
{
	return f->on && n >= 512 && n <= 65536 && (n & (n - 1)) == 0 &&
	    off % n == 0;
}

/* Keep a page in f's window, which holds pages of its size and off. */
static void
keep(struct gfile *f, const void *data, int n, sqlite3_int64 off)
{
	sqlite3_int64 slot = (off - f->start) / n;

	memcpy(f->buf + slot * n, data, (size_t)n);
	f->held |= (uint64_t)1 << slot;
}

/* Start or stop gathering (*arg nonzero: start). */
static int
gather(struct gfile *f, const int *arg)
{
	int rc = drain();

	f->on = *arg && f->main_db;
	if (!f->on) {
		free(f->buf);
		f->buf = NULL;
		f->bufpg = 0;
	}
	return rc;
}

#define REAL(file) (((struct gfile *)(file))->real)

static int
g_close(sqlite3_file *file)
{
	struct gfile *f = (struct gfile *)file;
	int rc = drain(), rc2 = f->real->pMethods->xClose(f->real);

	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
g_read(sqlite3_file *file, void *data, int n, sqlite3_int64 off)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xRead(REAL(file),
		data, n, off);
}

static int
g_write(sqlite3_file *file, const void *data, int n, sqlite3_int64 off)
{
	struct gfile *f = (struct gfile *)file;
	int rc;

	if (holding == f && whole_page(f, n, off) && n == f->pgsz &&
	    off >= f->start && off < f->start + (sqlite3_int64)GATHER * n) {
		keep(f, data, n, off);
		return SQLITE_OK;
	}
	if ((rc = drain()) != SQLITE_OK)
		return rc;
	if (!whole_page(f, n, off))
		return f->real->pMethods->xWrite(f->real, data, n, off);
	/* a new window, from a few pages before this one */
	if (f->bufpg != n) {
		f->buf = xrealloc(f->buf, (size_t)GATHER * (size_t)n);
		f->bufpg = n;
	}
	f->pgsz = n;
	f->start = off - (sqlite3_int64)GATHER_BEHIND * n;
	if (f->start < 0)
		f->start = 0;
	holding = f;
	keep(f, data, n, off);
	return SQLITE_OK;
}

static int
g_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xTruncate(
		REAL(file), size);
}

static int
g_sync(sqlite3_file *file, int flags)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xSync(REAL(file),
		flags);
}

static int
g_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFileSize(
		REAL(file), size);
}

static int
g_lock(sqlite3_file *file, int lock)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xLock(REAL(file),
		lock);
}

static int
g_unlock(sqlite3_file *file, int lock)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xUnlock(
		REAL(file), lock);
}

static int
g_reserved(sqlite3_file *file, int *out)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xCheckReservedLock(
		REAL(file), out);
}

static int
g_control(sqlite3_file *file, int op, void *arg)
{
	int rc;

	if (op == STORE_FCNTL_GATHER)
		return gather((struct gfile *)file, arg);
	if ((rc = drain()) != SQLITE_OK)
		return rc;
	return REAL(file)->pMethods->xFileControl(REAL(file), op, arg);
}

static int
g_sector(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int
g_device(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int
g_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
	void volatile **pp)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xShmMap(REAL(file),
		pg, pgsz, extend, pp);
}

static int
g_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xShmLock(
		REAL(file), offset, n, flags);
}

static void
g_shm_barrier(sqlite3_file *file)
{
	drain();
	REAL(file)->pMethods->xShmBarrier(REAL(file));
}

static int
g_shm_unmap(sqlite3_file *file, int del)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xShmUnmap(
		REAL(file), del);
}

static int
g_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp)
{
	int rc = drain();

	*pp = NULL;
	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xFetch(REAL(file),
		off, n, pp);
}

static int
g_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	int rc = drain();

	return rc != SQLITE_OK ? rc : REAL(file)->pMethods->xUnfetch(
		REAL(file), off, p);
}

/* For a file of the default VFS with methods of version 3 (the unix VFS),
 * and one with fewer (then ours stop at that version). */
static const sqlite3_io_methods methods3 = {
	3, g_close, g_read, g_write, g_truncate, g_sync, g_size, g_lock,
	g_unlock, g_reserved, g_control, g_sector, g_device, g_shm_map,
	g_shm_lock, g_shm_barrier, g_shm_unmap, g_fetch, g_unfetch,
};
static const sqlite3_io_methods methods2 = {
	2, g_close, g_read, g_write, g_truncate, g_sync, g_size, g_lock,
	g_unlock, g_reserved, g_control, g_sector, g_device, g_shm_map,
	g_shm_lock, g_shm_barrier, g_shm_unmap, NULL, NULL,
};
static const sqlite3_io_methods methods1 = {
	1, g_close, g_read, g_write, g_truncate, g_sync, g_size, g_lock,
	g_unlock, g_reserved, g_control, g_sector, g_device, NULL, NULL, NULL,
	NULL, NULL, NULL,
};

static int
v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
	int *out_flags)
{
	struct gfile *f = (struct gfile *)file;
	int rc = drain();

	(void)vfs;
	memset(f, 0, sizeof(*f));
	if (rc != SQLITE_OK)
		return rc;
	f->real = (sqlite3_file *)(f + 1);
	f->main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
	rc = root->xOpen(root, name, f->real, flags, out_flags);
	if (f->real->pMethods) {
		int v = f->real->pMethods->iVersion;

		f->base.pMethods = v >= 3 ? &methods3 : v == 2 ? &methods2 :
		    &methods1;
	}
	return rc;
}

static int
v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	int rc = drain();

	(void)vfs;
	return rc != SQLITE_OK ? rc : root->xDelete(root, name, sync_dir);
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	int rc = drain();

	(void)vfs;
	return rc != SQLITE_OK ? rc : root->xAccess(root, name, flags, out);
}

static int
v_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return root->xFullPathname(root, name, n, out);
}

static void *
v_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return root->xDlOpen(root, name);
}

static void
v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	root->xDlError(root, n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return root->xDlSym(root, h, sym);
}

static void
v_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	root->xDlClose(root, h);
}

static int
v_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return root->xRandomness(root, n, out);
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return root->xSleep(root, us);
}

static int
v_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return root->xCurrentTime(root, out);
}

static int
v_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return root->xGetLastError ? root->xGetLastError(root, n, out) : 0;
}

static int
v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return root->xCurrentTimeInt64(root, out);
}

static int
v_set_call(sqlite3_vfs *vfs, const char *name, sqlite3_syscall_ptr p)
{
	(void)vfs;
	return root->xSetSystemCall(root, name, p);
}

static sqlite3_syscall_ptr
v_get_call(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return root->xGetSystemCall(root, name);
}

static const char *
v_next_call(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return root->xNextSystemCall(root, name);
}

static sqlite3_vfs vfs = {
	.zName = VFS_NAME,
	.xOpen = v_open, .xDelete = v_delete, .xAccess = v_access,
	.xFullPathname = v_fullpath, .xDlOpen = v_dlopen,
	.xDlError = v_dlerror, .xDlSym = v_dlsym, .xDlClose = v_dlclose,
	.xRandomness = v_random, .xSleep = v_sleep,
	.xCurrentTime = v_time, .xGetLastError = v_last_error,
	.xCurrentTimeInt64 = v_time64, .xSetSystemCall = v_set_call,
	.xGetSystemCall = v_get_call, .xNextSystemCall = v_next_call,
};

static void
register_vfs(void)
{
	if (!(root = sqlite3_vfs_find(NULL)))
		return;
	/* as far as the default one goes, at most to version 3 */
	vfs.iVersion = root->iVersion < 3 ? root->iVersion : 3;
	vfs.szOsFile = (int)sizeof(struct gfile) + root->szOsFile;
	vfs.mxPathname = root->mxPathname;
	if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK)
		root = NULL;
}

const char *
store_vfs(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, register_vfs);
	return root ? VFS_NAME : NULL;
}

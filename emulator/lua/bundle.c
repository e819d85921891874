/*
 * bundle.c — where a function's code comes from: a zip archive unpacked
 * into memory, or a folder on disk for hot reload.
 *
 * A zip is read whole at creation (libzip over the caller's buffer, which is
 * not kept), so invocations never touch the archive again; libzip (and the
 * libcrypto it needs) is loaded by the first zip, not at start-up (hg_dl.h).
 * A folder is read on demand, so an edit shows on the next load; every path
 * is resolved with realpath and must stay inside the folder, so neither
 * `..` nor a symlink lets a handler read the host.
 *
 * Invariants:
 *   1. Zip entries are sorted by path and unique (lookup is a binary search).
 *   2. No stored path is absolute or has an empty, `.` or `..` segment.
 *   3. A dir bundle's root is a realpath with no trailing slash.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "hg_dl.h"
#include "hlua.h"

/* AWS's limit on a function's unzipped code. */
#define BUNDLE_MAX_UNPACKED ((size_t)250 * 1024 * 1024)
/* Far more files than any Lua function has; bounds the work a hostile zip causes. */
#define BUNDLE_MAX_ENTRIES 20000
/* A single source file read from a folder. */
#define BUNDLE_MAX_FILE ((size_t)50 * 1024 * 1024)
/* The fingerprint walk: deep and wide enough for real projects, bounded for
 * a folder such as / given by mistake. */
#define FINGERPRINT_MAX_DEPTH 12
#define FINGERPRINT_MAX_FILES 10000

#define BAD_ZIP "Could not unzip uploaded file. Please check your file, then try to upload again."

#ifndef HG_ZIP_SONAME
#error "HG_ZIP_SONAME (libzip's soname) comes from CMakeLists.txt"
#endif

/* The libzip functions used, each typed as zip.h declares it. */
#define ZIP_FUNCTIONS(X)                                                                 \
    X(zip_error_init) X(zip_error_fini) X(zip_source_buffer_create) X(zip_source_free) \
    X(zip_open_from_source) X(zip_get_num_entries) X(zip_stat_init) X(zip_stat_index)  \
    X(zip_fopen_index) X(zip_fread) X(zip_fclose) X(zip_discard)

static struct {
#define FIELD(f) __typeof__(f) *f;
    ZIP_FUNCTIONS(FIELD)
#undef FIELD
} zipf;

static const hg_dl_sym zip_syms[] = {
#define SYM(f) { #f, (void **)&zipf.f },
    ZIP_FUNCTIONS(SYM)
#undef SYM
};
static hg_dl_lib libzip = HG_DL_LIB(HG_ZIP_SONAME, zip_syms);

typedef struct bundle_entry {
    char  *path;
    char  *data;     /* NUL-terminated */
    size_t len;
} bundle_entry;

struct hlua_bundle {
    bool          is_dir;
    bundle_entry *entries;   /* zip: sorted by path */
    size_t        n;
    char         *root;      /* dir: realpath */
};

/* A relative '/'-separated path with no empty, "." or ".." segment. */
static bool path_is_safe(const char *p)
{
    if (!*p || *p == '/') return false;
    for (const char *seg = p; *seg;) {
        const char *slash = strchr(seg, '/');
        size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
        if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return false;
        if (!slash) break;
        seg = slash + 1;
        if (!*seg) return false;
    }
    return true;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const bundle_entry *)a)->path, ((const bundle_entry *)b)->path);
}

void hlua_bundle_free(hlua_bundle *b)
{
    if (!b) return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->entries[i].path);
        free(b->entries[i].data);
    }
    free(b->entries);
    free(b->root);
    free(b);
}

/* Read entry i of an open archive into e. */
static int read_entry(zip_t *za, zip_uint64_t i, const char *name, zip_uint64_t size,
                      bundle_entry *e, hg_err *err)
{
    e->path = strdup(name);
    e->data = malloc((size_t)size + 1);
    if (!e->path || !e->data) return hg_err_internal(err, "out of memory unpacking the function's code");
    zip_file_t *zf = zipf.zip_fopen_index(za, i, 0);
    if (!zf) return hg_err_set(err, 400, "InvalidParameterValueException", BAD_ZIP);
    zip_uint64_t got = 0;
    while (got < size) {
        zip_int64_t n = zipf.zip_fread(zf, e->data + got, size - got);
        if (n <= 0) break;
        got += (zip_uint64_t)n;
    }
    zipf.zip_fclose(zf);
    if (got != size) return hg_err_set(err, 400, "InvalidParameterValueException", BAD_ZIP);
    e->data[size] = '\0';
    e->len = (size_t)size;
    return 0;
}

int hlua_bundle_from_zip(const void *zip, size_t len, hlua_bundle **out, hg_err *err)
{
    *out = NULL;
    if (hg_dl_load(&libzip, err) != 0) return -1;
    zip_error_t zerr;
    zipf.zip_error_init(&zerr);
    zip_source_t *src = zipf.zip_source_buffer_create(zip, len, 0, &zerr);
    zip_t *za = src ? zipf.zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
    zipf.zip_error_fini(&zerr);
    if (!za) {
        zipf.zip_source_free(src);
        return hg_err_set(err, 400, "InvalidParameterValueException", BAD_ZIP);
    }
    hlua_bundle *b = calloc(1, sizeof *b);
    zip_int64_t count = zipf.zip_get_num_entries(za, 0);
    int rc = -1;
    if (!b) { hg_err_internal(err, "out of memory"); goto done; }
    if (count < 0 || count > BUNDLE_MAX_ENTRIES) {
        hg_err_set(err, 400, "InvalidParameterValueException",
                   "The function's zip file has more than %d entries.", BUNDLE_MAX_ENTRIES);
        goto done;
    }
    b->entries = calloc(count ? (size_t)count : 1, sizeof *b->entries);
    if (!b->entries) { hg_err_internal(err, "out of memory"); goto done; }
    size_t total = 0;
    for (zip_int64_t i = 0; i < count; i++) {
        zip_stat_t st;
        zipf.zip_stat_init(&st);
        if (zipf.zip_stat_index(za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)
            || !(st.valid & ZIP_STAT_SIZE)) {
            hg_err_set(err, 400, "InvalidParameterValueException", BAD_ZIP);
            goto done;
        }
        const char *name = st.name;
        size_t nlen = strlen(name);
        if (nlen && name[nlen - 1] == '/') continue;          /* a directory entry */
        while (name[0] == '.' && name[1] == '/') name += 2;    /* "./x.lua" is x.lua */
        if (!path_is_safe(name) || strchr(name, '\\')) {
            hg_err_set(err, 400, "InvalidParameterValueException",
                       "The function's zip file has an entry with an unsafe path: %.200s", st.name);
            goto done;
        }
        if (st.size > BUNDLE_MAX_UNPACKED || total + (size_t)st.size > BUNDLE_MAX_UNPACKED) {
            hg_err_set(err, 400, "InvalidParameterValueException",
                       "Unzipped size must be smaller than %zu bytes", BUNDLE_MAX_UNPACKED);
            goto done;
        }
        total += (size_t)st.size;
        if (read_entry(za, (zip_uint64_t)i, name, st.size, &b->entries[b->n++], err) != 0) goto done;
    }
    qsort(b->entries, b->n, sizeof *b->entries, entry_cmp);
    for (size_t i = 1; i < b->n; i++) {
        if (strcmp(b->entries[i - 1].path, b->entries[i].path) == 0) {
            hg_err_set(err, 400, "InvalidParameterValueException",
                       "The function's zip file has the entry %.200s twice", b->entries[i].path);
            goto done;
        }
    }
    rc = 0;
done:
    zipf.zip_discard(za);     /* also frees src */
    if (rc != 0) {
        hlua_bundle_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

int hlua_bundle_from_dir(const char *dir, hlua_bundle **out, hg_err *err)
{
    *out = NULL;
    if (!dir || dir[0] != '/')
        return hg_err_set(err, 400, "InvalidParameterValueException",
                          "The hot-reload folder (S3Key) must be an absolute path");
    char *root = realpath(dir, NULL);
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(root);
        return hg_err_set(err, 400, "InvalidParameterValueException",
                          "The hot-reload folder %.300s does not exist or is not a folder", dir);
    }
    hlua_bundle *b = calloc(1, sizeof *b);
    if (!b) {
        free(root);
        return hg_err_internal(err, "out of memory");
    }
    b->is_dir = true;
    b->root = root;
    *out = b;
    return 0;
}

/* Read path under a dir bundle: 0 found, 1 missing or outside, -1 error. */
static int dir_read(const hlua_bundle *b, const char *path, char **data, size_t *len, hg_err *err)
{
    size_t rl = strlen(b->root), pl = strlen(path);
    char *joined = malloc(rl + pl + 2);
    if (!joined) return hg_err_internal(err, "out of memory");
    memcpy(joined, b->root, rl);
    joined[rl] = '/';
    memcpy(joined + rl + 1, path, pl + 1);
    char *real = realpath(joined, NULL);
    free(joined);
    if (!real) return (errno == ENOENT || errno == ENOTDIR) ? 1 : hg_err_internal(err, "cannot resolve %.200s", path);
    /* Containment: the resolved file must sit strictly under the root. */
    bool inside = strncmp(real, b->root, rl) == 0 && (real[rl] == '/' || (rl == 1 && real[0] == '/'));
    int fd = inside ? open(real, O_RDONLY | O_CLOEXEC) : -1;
    free(real);
    if (!inside) return 1;
    if (fd < 0) return errno == ENOENT ? 1 : hg_err_internal(err, "cannot open %.200s", path);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 1;
    }
    if ((size_t)st.st_size > BUNDLE_MAX_FILE) {
        close(fd);
        return hg_err_set(err, 400, "InvalidParameterValueException", "%.200s is larger than %zu bytes",
                          path, BUNDLE_MAX_FILE);
    }
    size_t cap = (size_t)st.st_size;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return hg_err_internal(err, "out of memory");
    }
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;             /* file shrank while we read: take what is there */
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

int hlua_bundle_read(const hlua_bundle *b, const char *path, char **data, size_t *len, hg_err *err)
{
    *data = NULL;
    *len = 0;
    if (!path_is_safe(path)) return 1;
    if (b->is_dir) return dir_read(b, path, data, len, err);
    bundle_entry key = { .path = (char *)path };
    const bundle_entry *e = bsearch(&key, b->entries, b->n, sizeof *b->entries, entry_cmp);
    if (!e) return 1;
    char *copy = malloc(e->len + 1);
    if (!copy) return hg_err_internal(err, "out of memory");
    memcpy(copy, e->data, e->len + 1);
    *data = copy;
    *len = e->len;
    return 0;
}

/* ---- fingerprint ---------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

typedef struct walk {
    unsigned long long sum;   /* per-file hashes added: independent of readdir order */
    size_t files;
} walk;

static void walk_dir(int dfd, const char *rel, int depth, walk *w)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && w->files < FINGERPRINT_MAX_FILES) {
        const char *name = de->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
        char path[PATH_MAX];
        int pn = snprintf(path, sizeof path, "%s%s%s", rel, *rel ? "/" : "", name);
        if (pn < 0 || (size_t)pn >= sizeof path) continue;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth >= FINGERPRINT_MAX_DEPTH) continue;
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub >= 0) walk_dir(sub, path, depth + 1, w);
            continue;
        }
        size_t nl = strlen(name);
        if (nl < 4 || strcmp(name + nl - 4, ".lua") != 0) continue;
        if (S_ISLNK(st.st_mode) && fstatat(dirfd(d), name, &st, 0) != 0) continue;
        uint64_t h = 14695981039346656037ULL;
        h = fnv1a(h, path, (size_t)pn + 1);
        h = fnv1a(h, &st.st_size, sizeof st.st_size);
        h = fnv1a(h, &st.st_mtim.tv_sec, sizeof st.st_mtim.tv_sec);
        h = fnv1a(h, &st.st_mtim.tv_nsec, sizeof st.st_mtim.tv_nsec);
        w->sum += h;
        w->files++;
    }
    closedir(d);
}

unsigned long long hlua_bundle_fingerprint(const hlua_bundle *b)
{
    if (!b || !b->is_dir) return 0;
    int fd = open(b->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return 1;          /* folder gone: differs from any live fingerprint but 1 */
    walk w = { 0, 0 };
    walk_dir(fd, "", 0, &w);
    unsigned long long fp = w.sum ^ ((unsigned long long)w.files * 0x9E3779B97F4A7C15ULL);
    return fp ? fp : 2;            /* never 0, which means "zip" */
}

/* SPDX-License-Identifier: MIT */
/* Mapping the lookup snapshot: see mapread.h for the rules. */
#include "mapread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct prov_mapsrc {
	char *path;             /* malloc'ed, except the default source's */
	uid_t owner;
	pthread_key_t key;     /* this thread's struct prov_map * */
	struct prov_map *current; /* the newest believed mapping (one reference) */
};

/* Taken only to (re)map or to move a reference, never on a lookup whose
 * snapshot is current. */
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void lock_prepare(void)
{
	pthread_mutex_lock(&map_lock);
}

static void lock_release(void)
{
	pthread_mutex_unlock(&map_lock);
}

static void register_atfork(void)
{
	/* Without it a fork() while another thread remaps would leave the
	 * child a mutex no thread of its own will ever unlock. */
	(void)pthread_atfork(lock_prepare, lock_release, lock_release);
}

static void put_locked(struct prov_map *m)
{
	if (m && --m->refs == 0) {
		struct prov_map_lens *l = m->lens, *next;

		for (; l; l = next) {
			next = l->next;
			free(l);
		}
		munmap(m->base, m->size);
		free(m->seen);
		free(m);
	}
}

/* A thread's exit: its reference goes with it. */
static void thread_done(void *v)
{
	pthread_mutex_lock(&map_lock);
	put_locked(v);
	pthread_mutex_unlock(&map_lock);
}

/* Opens, checks and maps the file at src->path into *ret. -ESTALE when
 * it was superseded between open() and the check (provd published twice
 * meanwhile: try again); any other error: not to be believed. Under
 * map_lock. */
static int open_map_once(const struct prov_mapsrc *src, struct prov_map **ret)
{
	struct prov_map *m;
	struct stat s;
	void *base;
	int fd, r;

	fd = open(src->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &s) < 0 || prov_map_stat_refusal(&s, src->owner)) {
		close(fd);
		return -EPERM;
	}
	base = mmap(NULL, (size_t)s.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED)
		return -ENOMEM;
	m = calloc(1, sizeof(*m));
	r = m ? prov_map_view_init(base, (size_t)s.st_size, &m->view) : -ENOMEM;
	if (r < 0) {
		free(m);
		munmap(base, (size_t)s.st_size);
		return r;
	}
	m->base = base;
	m->size = (size_t)s.st_size;
	m->refs = 1;
	/* Without it lookups are only slower (every one checks all). */
	m->seen = calloc(prov_map_seen_words(&m->view), sizeof(*m->seen));
	*ret = m;
	return 0;
}

static struct prov_map *open_map(const struct prov_mapsrc *src)
{
	struct prov_map *m = NULL;
	int tries;

	for (tries = 0; tries < 16; tries++)
		if (open_map_once(src, &m) != -ESTALE)
			break;
	return m;
}

/* The newest believed mapping, remapped if superseded; NULL when there is
 * none. Under map_lock. */
static struct prov_map *newest_locked(struct prov_mapsrc *src)
{
	struct prov_map *n;

	if (src->current && !prov_map_superseded(&src->current->view))
		return src->current;
	n = open_map(src);
	if (n || (src->current && prov_map_superseded(&src->current->view))) {
		put_locked(src->current);
		src->current = n;
	}
	return src->current;
}

static struct prov_map *refresh(struct prov_mapsrc *src, struct prov_map *mine)
{
	int saved = errno; /* the caller's errno is not ours to change */
	struct prov_map *m;

	pthread_mutex_lock(&map_lock);
	put_locked(mine);
	m = newest_locked(src);
	if (m)
		m->refs++;
	if (pthread_setspecific(src->key, m) != 0 && m) {
		m->refs--; /* cannot keep it: answer from the socket */
		m = NULL;
	}
	pthread_mutex_unlock(&map_lock);
	errno = saved;
	return m;
}

struct prov_map *prov_map_current(struct prov_mapsrc *src)
{
	struct prov_map *m;

	if (!src)
		return NULL;
	m = pthread_getspecific(src->key);
	if (m && !prov_map_superseded(&m->view))
		return m; /* the lookup path: no lock, no system call */
	return refresh(src, m);
}

struct prov_map *prov_map_hold(struct prov_mapsrc *src)
{
	int saved = errno;
	struct prov_map *m;

	if (!src)
		return NULL;
	pthread_mutex_lock(&map_lock);
	m = newest_locked(src);
	if (m)
		m->refs++;
	pthread_mutex_unlock(&map_lock);
	errno = saved;
	return m;
}

void prov_map_drop(struct prov_map *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&map_lock);
	put_locked(m);
	pthread_mutex_unlock(&map_lock);
}

int prov_mapsrc_new(const char *path, uid_t owner, struct prov_mapsrc **ret)
{
	struct prov_mapsrc *src = calloc(1, sizeof(*src));
	int r;

	if (!src)
		return -ENOMEM;
	src->path = strdup(path);
	src->owner = owner;
	if (!src->path) {
		free(src);
		return -ENOMEM;
	}
	r = pthread_key_create(&src->key, thread_done);
	if (r != 0) {
		free(src->path);
		free(src);
		return -r;
	}
	pthread_once(&atfork_once, register_atfork);
	*ret = src;
	return 0;
}

void prov_mapsrc_free(struct prov_mapsrc *src)
{
	struct prov_map *mine;

	if (!src)
		return;
	mine = pthread_getspecific(src->key);
	pthread_key_delete(src->key);
	pthread_mutex_lock(&map_lock);
	put_locked(mine);
	put_locked(src->current);
	pthread_mutex_unlock(&map_lock);
	free(src->path);
	free(src);
}

/* Static, not malloc'ed: glibc unloads NSS modules at exit under
 * valgrind (__libc_freeres), and a heap block only the module's own data
 * pointed to would then show as lost. */
static char default_path[] = PROV_MAP_PATH;
static struct prov_mapsrc default_storage = { .path = default_path, .owner = 0 };
static struct prov_mapsrc *default_src;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_init(void)
{
	if (pthread_key_create(&default_storage.key, thread_done) != 0)
		return;
	pthread_once(&atfork_once, register_atfork);
	default_src = &default_storage;
}

struct prov_mapsrc *prov_mapsrc_default(void)
{
	pthread_once(&default_once, default_init);
	return default_src;
}

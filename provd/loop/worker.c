/* SPDX-License-Identifier: MIT */
#include "loop/worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop/watch.h"

struct job {
	worker_run_fn run;
	worker_done_fn done;
	void *arg;
	struct job *next;
};

struct queue {
	struct job *head, *tail;
};

/* One per process, like the loop it serves (worker.h). */
static struct {
	bool running;
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct queue todo, finished; /* under mu */
	bool quit;                   /* under mu */
	int efd;
} W = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .efd = -1 };

static void push(struct queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct job *take_all(struct queue *q)
{
	struct job *j = q->head;

	q->head = q->tail = NULL;
	return j;
}

static void *worker_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&W.mu);
	for (;;) {
		struct job *j;
		uint64_t one = 1;

		while (!W.todo.head && !W.quit)
			pthread_cond_wait(&W.cv, &W.mu);
		if (W.quit)
			break;
		j = W.todo.head;
		W.todo.head = j->next;
		if (!W.todo.head)
			W.todo.tail = NULL;
		pthread_mutex_unlock(&W.mu);
		j->run(j->arg);
		pthread_mutex_lock(&W.mu);
		push(&W.finished, j);
		/* the loop reads it; a full counter still wakes it */
		(void)!write(W.efd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&W.mu);
	return NULL;
}

/* Loop thread: answer what finished. */
static void on_finished(struct server *s, int fd, uint32_t events, void *userdata)
{
	struct job *j, *next;
	uint64_t n;

	(void)events;
	(void)userdata;
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&W.mu);
	j = take_all(&W.finished);
	pthread_mutex_unlock(&W.mu);
	for (; j; j = next) {
		next = j->next;
		j->done(s, j->arg);
		free(j);
	}
}

int worker_start(struct server *s)
{
	int r;

	if (W.running)
		return -EALREADY;
	W.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (W.efd < 0)
		return -errno;
	W.quit = false;
	W.srv = s;
	r = server_watch(s, W.efd, EPOLLIN, on_finished, NULL);
	if (r == 0)
		r = -pthread_create(&W.thread, NULL, worker_main, NULL);
	if (r < 0) {
		server_unwatch(s, W.efd);
		close(W.efd);
		W.efd = -1;
		return r;
	}
	W.running = true;
	return 0;
}

static void drop_all(struct job *j)
{
	struct job *next;

	for (; j; j = next) {
		next = j->next;
		j->done(NULL, j->arg);
		free(j);
	}
}

void worker_stop(void)
{
	if (!W.running)
		return;
	pthread_mutex_lock(&W.mu);
	W.quit = true;
	pthread_cond_signal(&W.cv);
	pthread_mutex_unlock(&W.mu);
	pthread_join(W.thread, NULL);
	drop_all(take_all(&W.finished));
	drop_all(take_all(&W.todo));
	server_unwatch(W.srv, W.efd);
	close(W.efd);
	W.efd = -1;
	W.srv = NULL;
	W.running = false;
}

bool worker_running(void)
{
	return W.running;
}

int worker_submit(worker_run_fn run, worker_done_fn done, void *arg)
{
	struct job *j;

	if (!W.running)
		return -ENOTCONN;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->run = run;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&W.mu);
	push(&W.todo, j);
	pthread_cond_signal(&W.cv);
	pthread_mutex_unlock(&W.mu);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The last resort of deprovisioning (sessions.h): a signal to every
 * process a uid runs, through pidfds so a reused pid is never hit. Run by
 * the session worker (session_worker.h), off the loop.
 */
#ifndef PROV_SESSIONS_SIGNAL_H
#define PROV_SESSIONS_SIGNAL_H

#include <sys/types.h>

/* Sends sig to every process of uid under proc_dir; the count signalled.
 * Never pid 1 nor provd itself; uid 0 is refused (-EPERM). */
int sessions_signal_uid(const char *proc_dir, uid_t uid, int sig, unsigned *ret_n);

#endif

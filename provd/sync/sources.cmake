# The central sync: when to pull, one pull on a worker thread, what changes.
provd_sources(
  sync.c syncresult.c syncrefresh.c
  backoff.c syncplan.c syncjob.c synclog.c
)

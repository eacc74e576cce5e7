# The loop thread: epoll, the two sockets, the worker thread, the dispatcher.
provd_sources(
  server.c client.c accept.c listen.c
  budget.c     # connections per peer uid
  worker.c     # slow work off the loop (homes)
  dispatch.c
)

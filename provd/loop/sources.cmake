# The loop thread: epoll, the two sockets, the worker thread, the dispatcher.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/server.c
  ${CMAKE_CURRENT_LIST_DIR}/client.c
  ${CMAKE_CURRENT_LIST_DIR}/accept.c
  ${CMAKE_CURRENT_LIST_DIR}/listen.c
  ${CMAKE_CURRENT_LIST_DIR}/budget.c      # connections per peer uid
  ${CMAKE_CURRENT_LIST_DIR}/worker.c      # slow work off the loop (homes)
  ${CMAKE_CURRENT_LIST_DIR}/dispatch.c
)

# The login path (issue 4): access decisions, just-in-time homes, the
# dispatch handlers for ACCESS_CHECK, SESSION_OPEN/CLOSE and SSH_KEYS, and
# the sudo group served next to the directory's groups, and the end of the
# sessions of users who lose access (plus nscd invalidation), and removed
# users kept resolving for deprovisioned_retention.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/decision.c
  ${CMAKE_CURRENT_LIST_DIR}/homedir.c
  ${CMAKE_CURRENT_LIST_DIR}/homebase.c
  ${CMAKE_CURRENT_LIST_DIR}/login_handlers.c
  ${CMAKE_CURRENT_LIST_DIR}/sudogroup.c
  ${CMAKE_CURRENT_LIST_DIR}/derived.c     # the sudo group, once per snapshot
  ${CMAKE_CURRENT_LIST_DIR}/sessions.c
  ${CMAKE_CURRENT_LIST_DIR}/session_worker.c
  ${CMAKE_CURRENT_LIST_DIR}/removed.c
)

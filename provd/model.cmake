# The directory model: snapshot and indexes, the JSON document parser (the
# only provd file with json-c besides scim.c), the local account files, the
# admission rules, and the pipeline that ties them together.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/errbuf.c
  ${CMAKE_CURRENT_LIST_DIR}/hashtab.c
  ${CMAKE_CURRENT_LIST_DIR}/directory.c
  ${CMAKE_CURRENT_LIST_DIR}/docparse.c
  ${CMAKE_CURRENT_LIST_DIR}/docscan.c
  ${CMAKE_CURRENT_LIST_DIR}/localdb.c
  ${CMAKE_CURRENT_LIST_DIR}/prior.c
  ${CMAKE_CURRENT_LIST_DIR}/idledger.c
  ${CMAKE_CURRENT_LIST_DIR}/admit.c
  ${CMAKE_CURRENT_LIST_DIR}/sshkey.c
  ${CMAKE_CURRENT_LIST_DIR}/snapshot.c
)

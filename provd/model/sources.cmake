# The directory model: the snapshot every stage hands on, and its indexes.
list(APPEND PROVD_CORE_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/directory.c
  ${CMAKE_CURRENT_LIST_DIR}/hashtab.c
)

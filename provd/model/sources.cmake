# The directory model: the snapshot every stage hands on, and its indexes.
provd_sources(
  directory.c hashtab.c
)

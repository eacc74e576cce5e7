# The on-disk cache, the sync state, the removed users and the served state.
provd_sources(
  cache.c syncstate.c removed.c state.c
)

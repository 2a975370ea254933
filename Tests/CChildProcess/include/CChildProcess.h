#ifndef HERALD_CCHILDPROCESS_H
#define HERALD_CCHILDPROCESS_H

#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np (glibc 2.29), declared only under _GNU_SOURCE, which
/// Swift's Glibc module does not define.
int herald_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34): the child closes every descriptor from
/// `from` up.
int herald_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif

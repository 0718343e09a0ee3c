// The tracer's own scheduling priority: the eBPF backend's JavaScript, which decodes and
// writes, yields the CPU to the programs it watches. The drain thread is spared: it costs
// little (it copies the ring into batches), and it alone keeps the ring from filling, so
// when the scheduler places it beside a busy traced program it must get its share.
#pragma once

#include <sys/types.h>

// Raises the nice value of every thread of this process but spared_tid by increment (at
// most to 19). Threads created afterwards inherit it from their creator.
void lower_own_priority(int increment, pid_t spared_tid);

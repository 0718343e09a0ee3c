// The tracer's own scheduling priority: the eBPF backend's consumer (the drain thread and the
// JavaScript that decodes and writes) yields the CPU to the programs it watches.
#pragma once

// Raises the nice value of every thread of this process by increment (at most to 19).
// Threads created afterwards inherit it from their creator.
void lower_own_priority(int increment);

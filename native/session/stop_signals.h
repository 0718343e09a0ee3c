// Ctrl-C (and SIGTERM, SIGHUP) heard by the drain thread itself. JavaScript hears them too,
// but only between callbacks: while it works through a full queue of batches (a load the
// tracer cannot keep up with), it would hear them only after every queued batch, and the
// drain thread, never told to stop, would keep the queue full.
#pragma once

#include <uv.h>

class StopSignals {
public:
	// Starts watching. libuv hands a signal to every loop that watches it, so this thread's
	// own loop hears it as soon as it arrives, and Node's loop still hears it as usual.
	StopSignals();
	~StopSignals();
	StopSignals(const StopSignals &) = delete;
	StopSignals &operator=(const StopSignals &) = delete;

	// Readable when a signal may have arrived (epoll it).
	int fd() const { return uv_backend_fd(&loop_); }
	// Whether a stop signal has arrived: takes what fd() has, without waiting.
	bool heard();

private:
	uv_loop_t loop_;
	uv_signal_t watchers_[3];
	bool heard_ = false;
};

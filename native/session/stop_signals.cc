#include "session/stop_signals.h"

#include <csignal>

StopSignals::StopSignals()
{
	uv_loop_init(&loop_);
	const int signals[] = {SIGINT, SIGTERM, SIGHUP};
	for (int i = 0; i < 3; i++) {
		uv_signal_init(&loop_, &watchers_[i]);
		watchers_[i].data = this;
		uv_signal_start(&watchers_[i], [](uv_signal_t *watcher, int) { static_cast<StopSignals *>(watcher->data)->heard_ = true; },
		                signals[i]);
	}
	// libuv adds the signal pipe to the loop's epoll set when the loop first runs.
	uv_run(&loop_, UV_RUN_NOWAIT);
}

StopSignals::~StopSignals()
{
	for (uv_signal_t &watcher : watchers_) uv_close(reinterpret_cast<uv_handle_t *>(&watcher), nullptr);
	uv_run(&loop_, UV_RUN_DEFAULT); // returns once the watchers are closed
	uv_loop_close(&loop_);
}

bool StopSignals::heard()
{
	uv_run(&loop_, UV_RUN_NOWAIT);
	return heard_;
}

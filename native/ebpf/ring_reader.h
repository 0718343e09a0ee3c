// Reads the records of a BPF ring buffer map (BPF_MAP_TYPE_RINGBUF) in the order they were
// reserved, from the map's memory mapped into this process, as libbpf's ring_buffer does.
// Unlike libbpf 1.1, it gives the space it has read back to the producers once per
// release_bytes instead of after every record: the producers (the traced programs' system
// calls, on other CPUs) read that position on every event, and each store to it costs them
// a cache line from this thread's CPU.
#pragma once

#include <cstddef>
#include <cstdint>

class RingReader {
public:
	// on_record(ctx, data, size) returns < 0 to end a pass after that record.
	using OnRecord = int (*)(void *ctx, void *data, size_t size);

	// The ring of this map fd, of size bytes (the map's max_entries, a power of two).
	// Throws NativeError when it cannot be mapped.
	RingReader(int map_fd, size_t size, OnRecord on_record, void *ctx);
	~RingReader();
	RingReader(const RingReader &) = delete;
	RingReader &operator=(const RingReader &) = delete;

	// Readable (EPOLLIN) while records are pending, once a producer has woken the readers.
	int fd() const { return map_fd_; }
	// Takes the records written so far, at most `limit` of them; returns how many, or the
	// negative value on_record ended the pass with.
	long consume(size_t limit);
	// Whether the producers may have found the ring full (a record lost) since the last call:
	// the unread bytes came within largest_record of the size. Lets the caller ask the
	// kernel's lost counter (a system call) only then.
	bool may_have_been_full(size_t largest_record);

private:
	void release(uint64_t position);

	int map_fd_;
	uint64_t mask_;
	uint64_t release_bytes_;
	OnRecord on_record_;
	void *ctx_;
	size_t page_size_;
	void *consumer_page_ = nullptr;   // read-write: consumer_pos at offset 0
	void *producer_pages_ = nullptr;  // read-only: producer_pos, then the data mapped twice
	uint64_t *consumer_pos_ = nullptr;
	const uint64_t *producer_pos_ = nullptr;
	const uint8_t *data_ = nullptr;
	uint64_t position_ = 0;           // where the next record starts
	uint64_t released_ = 0;           // what consumer_pos says
	uint64_t most_unread_ = 0;        // the most bytes unread before a release, since asked
};

#include "ebpf/ring_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/bpf.h>
#include "native_error.h"

RingReader::RingReader(int map_fd, size_t size, OnRecord on_record, void *ctx)
    : map_fd_(map_fd), mask_(size - 1), release_bytes_(std::min<uint64_t>(64 * 1024, size / 16)),
      on_record_(on_record), ctx_(ctx), page_size_(size_t(sysconf(_SC_PAGESIZE)))
{
	if (size == 0 || (size & (size - 1)))
		throw NativeError(NativeErrorKind::ErrorRingBuffer,
		                  "ring buffer: its size is not a power of two: " + std::to_string(size), EINVAL);
	consumer_page_ = mmap(nullptr, page_size_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (consumer_page_ == MAP_FAILED) {
		consumer_page_ = nullptr;
		throw NativeError(NativeErrorKind::ErrorRingBuffer, std::string("ring buffer: mmap: ") + strerror(errno), errno);
	}
	// The data follows the producer's page twice over, so that a record wrapping past the
	// end reads as one piece.
	producer_pages_ = mmap(nullptr, page_size_ + 2 * size, PROT_READ, MAP_SHARED, map_fd, off_t(page_size_));
	if (producer_pages_ == MAP_FAILED) {
		int err = errno;
		producer_pages_ = nullptr;
		munmap(consumer_page_, page_size_);
		throw NativeError(NativeErrorKind::ErrorRingBuffer, std::string("ring buffer: mmap: ") + strerror(err), err);
	}
	consumer_pos_ = static_cast<uint64_t *>(consumer_page_);
	producer_pos_ = static_cast<const uint64_t *>(producer_pages_);
	data_ = static_cast<const uint8_t *>(producer_pages_) + page_size_;
	position_ = released_ = __atomic_load_n(consumer_pos_, __ATOMIC_ACQUIRE);
}

RingReader::~RingReader()
{
	munmap(producer_pages_, page_size_ + 2 * (mask_ + 1));
	munmap(consumer_page_, page_size_);
}

void RingReader::release(uint64_t position)
{
	// Release: the producers may write over the records only once they have been read.
	__atomic_store_n(consumer_pos_, position, __ATOMIC_RELEASE);
	// Unread bytes only grow between two releases, so their most is just before one. Read
	// after the store: a reservation that failed before it saw a producer position no later.
	most_unread_ = std::max(most_unread_, __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE) - released_);
	released_ = position;
}

bool RingReader::may_have_been_full(size_t largest_record)
{
	uint64_t unread = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE) - released_;
	bool full = std::max(most_unread_, unread) + largest_record + BPF_RINGBUF_HDR_SZ > mask_ + 1;
	most_unread_ = 0;
	return full;
}

long RingReader::consume(size_t limit)
{
	size_t taken = 0;
	long result = 0;
	uint64_t written = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
	while (taken < limit && result >= 0) {
		if (position_ >= written) {
			written = __atomic_load_n(producer_pos_, __ATOMIC_ACQUIRE);
			if (position_ >= written) break;
		}
		const uint8_t *header = data_ + (position_ & mask_);
		// Acquire: the record's data is complete once its busy bit is clear.
		uint32_t len = __atomic_load_n(reinterpret_cast<const uint32_t *>(header), __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT) break; // still being written: later records wait for it
		const uint32_t record_len = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		position_ += (uint64_t(record_len) + BPF_RINGBUF_HDR_SZ + 7) & ~uint64_t(7);
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			taken++;
			result = on_record_(ctx_, const_cast<uint8_t *>(header + BPF_RINGBUF_HDR_SZ), record_len);
		}
		if (position_ - released_ >= release_bytes_) release(position_);
	}
	if (position_ != released_) release(position_);
	return result < 0 ? result : long(taken);
}

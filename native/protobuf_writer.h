// The few protobuf wire-format writers the batch and aggregate encoders need.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace protobuf_writer {

enum WireType : uint32_t { kVarint = 0, kLengthDelimited = 2 };

inline void put_varint(std::string &out, uint64_t v)
{
	while (v >= 0x80) {
		out.push_back(static_cast<char>(v | 0x80));
		v >>= 7;
	}
	out.push_back(static_cast<char>(v));
}

inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

inline void put_tag(std::string &out, uint32_t field, WireType type) { put_varint(out, (field << 3) | type); }

// A scalar field; proto3 omits the default 0.
inline void put_uint(std::string &out, uint32_t field, uint64_t v)
{
	if (v == 0) return;
	put_tag(out, field, kVarint);
	put_varint(out, v);
}

inline void put_bytes(std::string &out, uint32_t field, const std::string &bytes)
{
	put_tag(out, field, kLengthDelimited);
	put_varint(out, bytes.size());
	out += bytes;
}

// A packed repeated field: tag, byte length, then the varints.
template <typename T, typename Encode>
void put_packed(std::string &out, uint32_t field, const std::vector<T> &values, Encode encode)
{
	if (values.empty()) return;
	std::string body;
	body.reserve(values.size() * 3);
	for (const T &v : values) put_varint(body, encode(v));
	put_bytes(out, field, body);
}

} // namespace protobuf_writer

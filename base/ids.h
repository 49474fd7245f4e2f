// Record ids: UUIDv4 strings from the OS's random source, and the short prefixes people type.
#pragma once

#include <string>

namespace agor {

// A new random UUIDv4, lowercase ("1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"). Thread-safe.
std::string NewUuid();
// 20 random URL-safe characters (120 bits), for session ids and recovery pids. Thread-safe.
std::string NewToken();
// True for the canonical 8-4-4-4-12 hex form (either case).
bool IsUuid(const std::string& id);
// True for 8 to 35 characters of hex digits and dashes that could begin a UUID: the ids
// get/patch/update/remove resolve by prefix.
bool IsIdPrefix(const std::string& id);

}  // namespace agor

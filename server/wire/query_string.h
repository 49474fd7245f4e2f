// Query strings: the URL query of a REST request, in the nested syntax of the `qs` library that
// Feathers REST clients send, becomes a JSON object for TranslateQuery (store/query.h).
//
//   $limit=5&$sort[created_at]=-1          {"$limit":"5","$sort":{"created_at":"-1"}}
//   board_id[$in][]=a&board_id[$in][]=b     {"board_id":{"$in":["a","b"]}}
//   board_id[$in][1]=b&board_id[$in][0]=a   {"board_id":{"$in":["a","b"]}}  (index order)
//   $or[0][name]=x&$or[1][slug]=y           {"$or":[{"name":"x"},{"slug":"y"}]}
//   a=1&a=2                                 {"a":["1","2"]}
//
// Keys and values are percent-decoded (`+` is a space) and must be valid UTF-8. Every leaf
// value stays a string: typing is the schema's job (CoerceQueryValue). Arrays are compacted in
// index order, as qs does. Empty parameters (`&&`, `=x`) are skipped; a parameter without `=`
// has the value "". One leading `?` is ignored.
//
// Refused with BadRequest (qs would guess; agor says what is wrong): more than
// kMaxQueryStringBytes bytes, more than kMaxQueryParameters parameters (which also bounds a
// list such as `$in` and the keys of every object: each value is one parameter), more than
// kMaxQueryDepth bracket levels in one key, an array index above kMaxQueryArrayIndex, malformed
// brackets (`a[b`, `a]`, `[a]`, `a[b]c`, `a[][b]`), malformed percent escapes (`%`, `%4`, `%zz`),
// invalid UTF-8, and keys that mix shapes
// (`a=1&a[b]=2`, `a[0]=1&a[b]=2`).
//
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>

#include "base/status.h"

namespace agor {

constexpr size_t kMaxQueryStringBytes = 16 * 1024;  // as much as an HTTP request head holds
constexpr size_t kMaxQueryParameters = 1000;
constexpr size_t kMaxQueryDepth = 8;  // bracket segments after the root key
constexpr long kMaxQueryArrayIndex = 1000;

// Parses `raw` (the part of the URL after `?`) into `*out`, always a JSON object ("" → {}).
// On error `*out` is left unchanged.
Status ParseQueryString(const std::string& raw, Json* out);

}  // namespace agor

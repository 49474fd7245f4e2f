#include "server/wire/query_string.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "base/utf8.h"

namespace agor {
namespace {

// One step of a key: `name` (the root and `[name]`), `[3]` or `[]`.
struct Segment {
  enum class Kind { kKey, kIndex, kAppend };
  Kind kind = Kind::kKey;
  std::string key;
  long index = 0;
};

// The tree being built. Children are parallel to `keys` (objects) or `indices` (arrays).
struct Node {
  enum class Kind { kEmpty, kLeaf, kObject, kArray };
  Kind kind = Kind::kEmpty;
  std::vector<std::string> values;  // kLeaf: one per occurrence of the key
  bool force_array = false;         // kLeaf written with `[]`: an array even with one value
  std::vector<std::string> keys;    // kObject
  std::vector<long> indices;        // kArray
  std::vector<Node> children;
};

// Shows a (valid UTF-8) key in an error message, cut at a character boundary.
std::string Shown(const std::string& key) {
  constexpr size_t kMax = 64;
  if (key.size() <= kMax) return "'" + key + "'";
  return "'" + std::string(Utf8Prefix(key, kMax)) + "...'";
}

Status Malformed(const std::string& key) {
  return Status::BadRequest("Malformed query parameter " + Shown(key));
}

Status Conflicting(const std::string& key) {
  return Status::BadRequest("Conflicting query parameter " + Shown(key) +
                            " (mixes a value, an array and an object)");
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in` (`+` is a space) into `out`.
Status Decode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      *out += ' ';
    } else if (in[i] != '%') {
      *out += in[i];
    } else {
      const int hi = i + 2 < in.size() ? HexDigitValue(in[i + 1]) : -1;
      const int lo = hi >= 0 ? HexDigitValue(in[i + 2]) : -1;
      if (lo < 0) return Status::BadRequest("Malformed percent escape in query string");
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  if (!IsValidUtf8(*out)) return Status::BadRequest("Invalid UTF-8 in query string");
  return Status::OK();
}

// Classifies the text between one pair of brackets.
Status ParseSegment(const std::string& text, const std::string& key, Segment* out) {
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (text.empty()) {
    out->kind = Segment::Kind::kAppend;
  } else if (digits && (text == "0" || text[0] != '0')) {
    if (text.size() > 4 || std::stol(text) > kMaxQueryArrayIndex) {
      return Status::BadRequest("Array index too large in query parameter " + Shown(key) +
                                " (max " + std::to_string(kMaxQueryArrayIndex) + ")");
    }
    out->kind = Segment::Kind::kIndex;
    out->index = std::stol(text);
  } else {
    out->kind = Segment::Kind::kKey;
    out->key = text;
  }
  return Status::OK();
}

// Splits a decoded key `root[a][0][]` into its segments, the root first.
Status SplitKey(const std::string& key, std::vector<Segment>* out) {
  size_t open = key.find('[');
  const std::string root = key.substr(0, open);
  if (root.empty() || root.find(']') != std::string::npos) return Malformed(key);
  out->push_back(Segment{Segment::Kind::kKey, root, 0});
  while (open != std::string::npos) {
    if (open >= key.size() || key[open] != '[') return Malformed(key);
    const size_t close = key.find_first_of("[]", open + 1);
    if (close == std::string::npos || key[close] != ']') return Malformed(key);
    if (out->size() > kMaxQueryDepth) {
      return Status::BadRequest("Query parameter " + Shown(key) + " is nested too deeply (max " +
                                std::to_string(kMaxQueryDepth) + " levels)");
    }
    if (out->back().kind == Segment::Kind::kAppend) return Malformed(key);  // `[]` not last
    Segment seg;
    Status s = ParseSegment(key.substr(open + 1, close - open - 1), key, &seg);
    if (!s.ok()) return s;
    out->push_back(std::move(seg));
    open = close + 1 < key.size() ? close + 1 : std::string::npos;
  }
  return Status::OK();
}

long NextIndex(const Node& node) {
  long next = 0;
  for (long i : node.indices) next = std::max(next, i + 1);
  return next;
}

void AddItem(Node* array, long index, Node child) {
  array->indices.push_back(index);
  array->children.push_back(std::move(child));
}

Node Leaf(std::string value) {
  Node leaf;
  leaf.kind = Node::Kind::kLeaf;
  leaf.values.push_back(std::move(value));
  return leaf;
}

// Stores `value` at `node` itself (`a=v`, or `a[]=v` when `append`).
Status Assign(Node* node, std::string value, bool append, const std::string& key) {
  switch (node->kind) {
    case Node::Kind::kEmpty:
      *node = Leaf(std::move(value));
      node->force_array = append;
      return Status::OK();
    case Node::Kind::kLeaf:
      node->values.push_back(std::move(value));
      node->force_array = node->force_array || append;
      return Status::OK();
    case Node::Kind::kArray:
      AddItem(node, NextIndex(*node), Leaf(std::move(value)));
      return Status::OK();
    case Node::Kind::kObject:
      break;
  }
  return Conflicting(key);
}

// Turns `node` into an array (its leaf values become items 0..n-1) and returns item `index`.
Status ArrayItem(Node* node, long index, const std::string& key, Node** item) {
  if (node->kind == Node::Kind::kObject) return Conflicting(key);
  if (node->kind != Node::Kind::kArray) {
    std::vector<std::string> values = std::move(node->values);
    *node = Node();
    node->kind = Node::Kind::kArray;
    for (auto& v : values) AddItem(node, NextIndex(*node), Leaf(std::move(v)));
  }
  auto it = std::find(node->indices.begin(), node->indices.end(), index);
  if (it == node->indices.end()) {
    AddItem(node, index, Node());
    it = node->indices.end() - 1;
  }
  *item = &node->children[it - node->indices.begin()];
  return Status::OK();
}

// Turns `node` into an object and returns its member `name`.
Status ObjectMember(Node* node, const std::string& name, const std::string& key, Node** member) {
  if (node->kind == Node::Kind::kEmpty) node->kind = Node::Kind::kObject;
  if (node->kind != Node::Kind::kObject) return Conflicting(key);
  auto it = std::find(node->keys.begin(), node->keys.end(), name);
  if (it == node->keys.end()) {
    node->keys.push_back(name);
    node->children.emplace_back();
    it = node->keys.end() - 1;
  }
  *member = &node->children[it - node->keys.begin()];
  return Status::OK();
}

// Walks `segs` from `node` (creating what is missing) and stores `value` at the end.
Status Insert(Node* node, const std::vector<Segment>& segs, std::string value,
              const std::string& key) {
  for (size_t i = 0; i < segs.size(); ++i) {
    const Segment& seg = segs[i];
    if (seg.kind == Segment::Kind::kAppend) return Assign(node, std::move(value), true, key);
    Status s = seg.kind == Segment::Kind::kIndex ? ArrayItem(node, seg.index, key, &node)
                                                 : ObjectMember(node, seg.key, key, &node);
    if (!s.ok()) return s;
  }
  return Assign(node, std::move(value), false, key);
}

Json ToJson(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kEmpty:
      return "";
    case Node::Kind::kLeaf:
      if (node.values.size() == 1 && !node.force_array) return node.values[0];
      return Json(node.values);
    case Node::Kind::kObject: {
      Json out = Json::object();
      for (size_t i = 0; i < node.keys.size(); ++i) out[node.keys[i]] = ToJson(node.children[i]);
      return out;
    }
    case Node::Kind::kArray:
      break;
  }
  std::vector<std::pair<long, const Node*>> items;
  for (size_t i = 0; i < node.indices.size(); ++i)
    items.emplace_back(node.indices[i], &node.children[i]);
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  Json out = Json::array();
  for (const auto& item : items) out.push_back(ToJson(*item.second));
  return out;
}

// Splits `raw` on '&', dropping empty parameters; BadRequest past kMaxQueryParameters.
Status SplitParameters(std::string_view raw, std::vector<std::string_view>* out) {
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find('&', start);
    if (end == std::string_view::npos) end = raw.size();
    if (end > start) out->push_back(raw.substr(start, end - start));
    if (out->size() > kMaxQueryParameters) {
      return Status::BadRequest("Too many query parameters (max " +
                                std::to_string(kMaxQueryParameters) + ")");
    }
    start = end + 1;
  }
  return Status::OK();
}

// Decodes one `key=value` parameter and stores it under `root`.
Status AddParameter(std::string_view param, Node* root) {
  const size_t eq = param.find('=');
  std::string key;
  std::string value;
  Status s = Decode(param.substr(0, eq), &key);
  if (s.ok() && eq != std::string_view::npos) s = Decode(param.substr(eq + 1), &value);
  if (!s.ok() || key.empty()) return s;  // qs skips parameters without a key
  std::vector<Segment> segs;
  s = SplitKey(key, &segs);
  if (!s.ok()) return s;
  return Insert(root, segs, std::move(value), key);
}

}  // namespace

Status ParseQueryString(const std::string& raw, Json* out) {
  if (raw.size() > kMaxQueryStringBytes) {
    return Status::BadRequest("Query string too long (max " + std::to_string(kMaxQueryStringBytes) +
                              " bytes)");
  }
  std::string_view view(raw);
  if (!view.empty() && view[0] == '?') view.remove_prefix(1);
  std::vector<std::string_view> params;
  Status s = SplitParameters(view, &params);
  if (!s.ok()) return s;
  Node root;
  root.kind = Node::Kind::kObject;
  for (std::string_view param : params) {
    s = AddParameter(param, &root);
    if (!s.ok()) return s;
  }
  *out = ToJson(root);
  return Status::OK();
}

}  // namespace agor

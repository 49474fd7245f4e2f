#include "server/api/page_assets.h"

namespace agor {

// A handful of assets: a linear scan costs less than building an index.
const PageAsset* FindPageAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (std::size_t i = 0; i < page_assets_data::kAssetCount; ++i) {
    if (page_assets_data::kAssets[i].path == path) return &page_assets_data::kAssets[i];
  }
  return nullptr;
}

std::size_t PageAssetCount() {
  return page_assets_data::kAssetCount;
}

const PageAsset& PageAssetAt(std::size_t i) {
  return page_assets_data::kAssets[i];
}

}  // namespace agor

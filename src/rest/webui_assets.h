// The web UI's files (webui/ in the source tree), compiled into the binary by
// cmake/EmbedFiles.cmake.
#ifndef ARCHER_REST_WEBUI_ASSETS_H_
#define ARCHER_REST_WEBUI_ASSETS_H_

#include <cstddef>
#include <string>
#include <vector>

namespace archer {

struct WebAsset {
  const char* path;  // relative to webui/, e.g. "app.js"
  const unsigned char* data;
  size_t size;
};

const std::vector<WebAsset>& webui_assets();

// The asset at `path`, or nullptr.
const WebAsset* find_webui_asset(const std::string& path);

// Its Content-Type from the extension.
const char* webui_content_type(const std::string& path);

}  // namespace archer

#endif  // ARCHER_REST_WEBUI_ASSETS_H_

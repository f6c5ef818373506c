#pragma once
// Rendering the charts' SVG to PNG or PDF with librsvg and cairo (fonts through fontconfig, e.g. DejaVu). The
// bytes are returned, not written: callers store them through io::Storage. Thread-safe (each call has its own
// librsvg handle and cairo surface).
#include <string>
#include <string_view>

namespace driftgov::report {

enum class ImageFormat { kPng, kPdf };

// Renders `svg` at its declared size (width and height attributes) scaled by `scale`. Throws core::InternalError
// when librsvg cannot parse the SVG (the charts are generated, so that is a bug) or cairo fails.
std::string render_svg(std::string_view svg, ImageFormat format, double scale = 1.0);

}  // namespace driftgov::report

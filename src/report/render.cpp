#include "driftgov/report/render.hpp"

#include <cairo-pdf.h>
#include <cairo.h>
#include <fmt/format.h>
#include <librsvg/rsvg.h>

#include <memory>

#include "driftgov/core/error.hpp"
#include "driftgov/report/chart.hpp"

namespace driftgov::report {
namespace {

cairo_status_t append_bytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct HandleDeleter {
  void operator()(RsvgHandle* handle) const { g_object_unref(handle); }
};
struct SurfaceDeleter {
  void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
};
struct ContextDeleter {
  void operator()(cairo_t* context) const { cairo_destroy(context); }
};

}  // namespace

std::string render_svg(std::string_view svg, ImageFormat format, double scale) {
  GError* error = nullptr;
  std::unique_ptr<RsvgHandle, HandleDeleter> handle(
      rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &error));
  if (!handle) {
    const std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw core::InternalError(fmt::format("librsvg could not read a generated chart: {}", message));
  }
  const auto size = svg_size(svg);
  if (size.width <= 0 || size.height <= 0) throw core::InternalError("a generated chart declares no size");
  const double width = size.width * scale, height = size.height * scale;
  std::string bytes;
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      format == ImageFormat::kPng
          ? cairo_image_surface_create(CAIRO_FORMAT_ARGB32, static_cast<int>(width), static_cast<int>(height))
          : cairo_pdf_surface_create_for_stream(append_bytes, &bytes, width, height));
  std::unique_ptr<cairo_t, ContextDeleter> context(cairo_create(surface.get()));
  const RsvgRectangle viewport{0, 0, width, height};
  if (!rsvg_handle_render_document(handle.get(), context.get(), &viewport, &error)) {
    const std::string message = error ? error->message : "unknown error";
    if (error) g_error_free(error);
    throw core::InternalError(fmt::format("librsvg could not render a generated chart: {}", message));
  }
  if (cairo_status(context.get()) != CAIRO_STATUS_SUCCESS) {
    throw core::InternalError(fmt::format("cairo: {}", cairo_status_to_string(cairo_status(context.get()))));
  }
  context.reset();
  if (format == ImageFormat::kPng) {
    cairo_surface_flush(surface.get());
    if (cairo_surface_write_to_png_stream(surface.get(), append_bytes, &bytes) != CAIRO_STATUS_SUCCESS) {
      throw core::InternalError("cairo could not encode the PNG");
    }
  } else {
    cairo_surface_finish(surface.get());
  }
  return bytes;
}

}  // namespace driftgov::report

#pragma once
// Writing a painting to a file as the views export themselves: a raster image (.png, .jpg, .bmp) on
// white at a chosen pixel density, or an SVG with a title and description, chosen by the file
// name. One place for the checks every export needs (known extension, allocation, write errors).
#include <QSize>
#include <QString>

#include <functional>

class QPainter;

namespace tb {

enum class ImageKind { Raster, Svg, Unknown };

// By the file name's extension (case-insensitive).
ImageKind imageKindOf(const QString& path);

// The "use a .png or .svg file name" message for a path of unknown kind.
QString unknownImageKindMessage(const QString& path);

// Paints `paint` on a `size` logical-pixel canvas into `path`; rasters at `devicePixelRatio`.
// False with the reason (naming the file) in *error.
bool writePainting(const QString& path, QSize size, int devicePixelRatio, const QString& title,
                   const QString& description, const std::function<void(QPainter&)>& paint, QString* error);

}  // namespace tb
